// What the admin status page shows about results going back to the PACS: whether sending is on, how many SRs were
// stored, how many attempts failed, and the latest failure (from the audit trail, which records every attempt).
import type { Db } from "@/lib/db/client";
import { sendingResults } from "./send";

export interface ResultsStatus {
  on: boolean;
  sent: number;
  failedAttempts: number;
  lastSentAt: Date | null;
  lastFailure: { at: Date; error: string } | null;
}

export async function resultsStatus(db: Db): Promise<ResultsStatus> {
  const [on, sent, failedAttempts, lastSent, lastFailed] = await Promise.all([
    sendingResults(db),
    db.auditEvent.count({ where: { action: "result.sent" } }),
    db.auditEvent.count({ where: { action: "result.send_failed" } }),
    db.auditEvent.findFirst({ where: { action: "result.sent" }, orderBy: { at: "desc" }, select: { at: true } }),
    db.auditEvent.findFirst({
      where: { action: "result.send_failed" },
      orderBy: { at: "desc" },
      select: { at: true, details: true },
    }),
  ]);
  const error = (lastFailed?.details as { error?: unknown } | null)?.error;
  return {
    on,
    sent,
    failedAttempts,
    lastSentAt: lastSent?.at ?? null,
    lastFailure: lastFailed ? { at: lastFailed.at, error: typeof error === "string" ? error : "unknown" } : null,
  };
}
