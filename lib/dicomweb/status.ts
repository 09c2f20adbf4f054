// What the admin status page shows about the PACS link: where its settings come from, the poller's state, and the
// latest refusals and failures with their reasons.
import type { Db } from "@/lib/db/client";
import { activeDicomweb, type SettingsSource } from "./settings";

export interface PacsStatus {
  source: SettingsSource;
  url: string | null;
  settingsError: string | null;
  state: {
    lastPollAt: Date | null;
    lastSuccessAt: Date | null;
    lastError: string | null;
    failures: number;
    nextPollAt: Date | null;
    seen: number;
    ingested: number;
    refused: number;
    pending: number;
    failed: number;
  } | null;
  waitingForAdmin: number;
  recentProblems: { sopInstanceUid: string; outcome: string; reason: string | null; at: Date; via: string }[];
}

export async function pacsStatus(db: Db): Promise<PacsStatus> {
  const active = await activeDicomweb(db);
  const url = active.config?.url ?? null;
  const [state, waitingForAdmin, recentProblems] = await Promise.all([
    url ? db.dicomwebPollState.findUnique({ where: { source: url } }) : null,
    db.dicomwebPending.count(),
    db.dicomwebInstance.findMany({
      where: { outcome: { in: ["refused", "failed"] } },
      orderBy: { at: "desc" },
      take: 10,
      select: { sopInstanceUid: true, outcome: true, reason: true, at: true, via: true },
    }),
  ]);
  return {
    source: active.source,
    url,
    settingsError: active.error ?? null,
    state,
    waitingForAdmin,
    recentProblems,
  };
}
