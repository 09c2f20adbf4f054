// Taking a wrong scan back (issue 11 item 3): a film uploaded to the wrong patient, or one that is not a radiograph.
// Withdrawing (clinician or admin, with a reason) takes it out of everything a scan counts in: the timeline, the
// drift and the patient list's summary (recomputed here, at once), neighbours, FHIR, CSV and the API's lists. Its
// files and rows stay, so an admin can restore it; only an admin's purge of a withdrawn scan deletes them for good.
// The audit log keeps every step and is never deleted. Moving a scan to the right patient is a withdraw plus a new
// upload there.
import type { ActionContext } from "@/lib/actions/define-action";
import { NOT_ALLOWED } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { UserFacingError } from "@/lib/errors";
import { requirePatientAccess } from "@/lib/patients/access";
import { scanStore } from "@/lib/storage";
import { removeUnlessUsed } from "@/lib/storage/content-lock";
import type { ScanStore } from "@/lib/storage/scan-store";
import { requestDriftRefresh } from "@/lib/timeline/drift-queue";
import { refreshPatientDrift } from "@/lib/timeline/refresh";
import { ScanStateError, UnknownScanError } from "./errors";
import type { ScanIdInput, WithdrawScanInput } from "./schemas";

export interface WithdrawResult {
  scanId: string;
  patientId: string;
  withdrawnAt: string;
  /** False when the scan was already withdrawn: nothing changed and nothing more was audited. */
  changed: boolean;
}

export interface RestoreResult {
  scanId: string;
  patientId: string;
  /** False when the scan was not withdrawn (already restored): nothing changed. */
  changed: boolean;
}

export interface PurgeResult {
  scanId: string;
  /** False when an earlier purge already removed it (a repeated or concurrent call): nothing more was done. */
  purged: boolean;
  /** Files of the scan removed from the store (original and renditions); 0 when another scan shares the content. */
  filesRemoved: number;
  /** Other scans stored with the same content (another patient's copy): their files were kept. */
  sharedWith: number;
}

const TX = { maxWait: 30_000, timeout: 60_000 };

function requireAdmin(ctx: ActionContext): void {
  // The actions' role lists already say so; the services check again because scripts and tests call them directly.
  if (ctx.actor.role !== "admin") throw new UserFacingError(NOT_ALLOWED);
}

async function patientScan(db: Db | Prisma.TransactionClient, scanId: string) {
  const scan = await db.scan.findUnique({
    where: { id: scanId },
    select: {
      id: true,
      patientId: true,
      sha256: true,
      storageKey: true,
      withdrawnAt: true,
      withdrawnBy: true,
      withdrawReason: true,
    },
  });
  if (!scan) throw new UnknownScanError();
  if (!scan.patientId) {
    throw new ScanStateError(
      "This is a reference film, not a patient's scan: correct its label on Admin › Reference library instead.",
    );
  }
  return { ...scan, patientId: scan.patientId };
}

/**
 * The patient's drift, summary and list columns without the scan, at once. The summary row was deleted in the
 * same transaction as the change, so if this fails (or the process dies first) the patient counts as stale and
 * the next refresh (patient list, drift queue) recomputes it: a wrong summary never outlives the change.
 */
async function recompute(db: Db, patientId: string): Promise<void> {
  try {
    await refreshPatientDrift(db, patientId);
  } catch (error) {
    console.error("drift refresh after a withdrawal failed:", (error as Error).name);
    await requestDriftRefresh("scan withdrawn or restored").catch(() => false);
  }
}

export async function withdrawScan(db: Db, input: WithdrawScanInput, ctx: ActionContext): Promise<WithdrawResult> {
  const scan = await patientScan(db, input.scanId);
  await requirePatientAccess(db, ctx.actor, scan.patientId);
  const outcome = await db.$transaction(async (tx) => {
    // Conditional update: of two concurrent withdrawals exactly one changes the row and audits.
    const now = new Date();
    const changed = await tx.scan.updateMany({
      where: { id: scan.id, withdrawnAt: null },
      data: { withdrawnAt: now, withdrawnBy: ctx.actor.id, withdrawReason: input.reason },
    });
    if (changed.count === 0) {
      const current = await tx.scan.findUnique({ where: { id: scan.id }, select: { withdrawnAt: true } });
      if (!current) throw new UnknownScanError();
      return { changed: false, withdrawnAt: current.withdrawnAt ?? now };
    }
    await tx.patientSummary.deleteMany({ where: { patientId: scan.patientId } });
    await recordAudit(tx, ctx, {
      action: "scan.withdrawn",
      targetType: "scan",
      targetId: scan.id,
      patientId: scan.patientId,
      details: { reason: input.reason, sha256: scan.sha256 },
    });
    return { changed: true, withdrawnAt: now };
  }, TX);
  if (outcome.changed) await recompute(db, scan.patientId);
  return {
    scanId: scan.id,
    patientId: scan.patientId,
    withdrawnAt: outcome.withdrawnAt.toISOString(),
    changed: outcome.changed,
  };
}

export async function restoreScan(db: Db, input: ScanIdInput, ctx: ActionContext): Promise<RestoreResult> {
  requireAdmin(ctx);
  const scan = await patientScan(db, input.scanId);
  const changed = await db.$transaction(async (tx) => {
    const updated = await tx.scan.updateMany({
      where: { id: scan.id, withdrawnAt: { not: null } },
      data: { withdrawnAt: null, withdrawnBy: null, withdrawReason: null },
    });
    if (updated.count === 0) {
      if (!(await tx.scan.findUnique({ where: { id: scan.id }, select: { id: true } }))) throw new UnknownScanError();
      return false;
    }
    await tx.patientSummary.deleteMany({ where: { patientId: scan.patientId } });
    // The row forgets the withdrawal; the event keeps what it was.
    await recordAudit(tx, ctx, {
      action: "scan.restored",
      targetType: "scan",
      targetId: scan.id,
      patientId: scan.patientId,
      details: {
        withdrawnAt: scan.withdrawnAt?.toISOString() ?? null,
        withdrawnBy: scan.withdrawnBy,
        reason: scan.withdrawReason,
      },
    });
    return true;
  }, TX);
  if (changed) await recompute(db, scan.patientId);
  return { scanId: scan.id, patientId: scan.patientId, changed };
}

/** Whether an earlier purge removed this scan: its scan.purged event (the audit log is never deleted). */
async function wasPurged(db: Db, scanId: string): Promise<boolean> {
  const event = await db.auditEvent.findFirst({
    where: { action: "scan.purged", targetType: "scan", targetId: scanId },
    select: { id: true },
  });
  return event !== null;
}

/**
 * Deletes a withdrawn scan for good: its rows (the scan, its vectors and assessments; bulk and PACS records keep
 * their line but no longer name it) in one transaction with the scan.purged event, then its files. Rows go first
 * so that no row ever names a missing file; if removing the files fails, the orphan sweep (lib/storage/
 * orphan-sweep.ts) removes them later, since no row names them any more. Content shared with another scan (the same
 * image stored for another patient) keeps its files.
 */
export async function purgeScan(
  db: Db,
  input: ScanIdInput,
  ctx: ActionContext,
  store: ScanStore = scanStore(),
): Promise<PurgeResult> {
  requireAdmin(ctx);
  const existing = await db.scan.findUnique({ where: { id: input.scanId }, select: { storageKey: true } });
  if (!existing) {
    if (await wasPurged(db, input.scanId))
      return { scanId: input.scanId, purged: false, filesRemoved: 0, sharedWith: 0 };
    throw new UnknownScanError();
  }
  // Counted before the rows go, for the event: what this purge removes (the files themselves go after the commit).
  const files = await store.renditionsOf(existing.storageKey);
  const outcome = await db.$transaction(async (tx) => {
    // Locks the row: a concurrent purge or restore waits here and then finds it gone.
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT "id" FROM "scans" WHERE "id" = ${input.scanId}::uuid FOR UPDATE`;
    if (locked.length === 0) return null;
    const scan = await patientScan(tx, input.scanId);
    if (!scan.withdrawnAt) {
      throw new ScanStateError("Only a withdrawn scan can be purged. Withdraw it first (with the reason), then purge.");
    }
    const sharedWith = await tx.scan.count({ where: { storageKey: scan.storageKey, id: { not: scan.id } } });
    await tx.bulkItem.updateMany({ where: { scanId: scan.id }, data: { scanId: null } });
    await tx.dicomwebInstance.updateMany({
      where: { scanId: scan.id },
      data: { scanId: null, reason: "withdrawn and purged by an admin" },
    });
    // Embeddings, assessments and a reference label (none for a patient's scan) go with it (ON DELETE CASCADE).
    await tx.scan.delete({ where: { id: scan.id } });
    await tx.patientSummary.deleteMany({ where: { patientId: scan.patientId } });
    await recordAudit(tx, ctx, {
      action: "scan.purged",
      targetType: "scan",
      targetId: scan.id,
      patientId: scan.patientId,
      details: {
        sha256: scan.sha256,
        files: sharedWith > 0 ? 0 : files.length,
        ...(sharedWith > 0 ? { sharedWith } : {}),
        withdrawnAt: scan.withdrawnAt.toISOString(),
        reason: scan.withdrawReason,
      },
    });
    return { scan, sharedWith };
  }, TX);
  if (!outcome) return { scanId: input.scanId, purged: false, filesRemoved: 0, sharedWith: 0 };
  const { scan, sharedWith } = outcome;
  let filesRemoved = 0;
  if (sharedWith === 0) {
    try {
      // Checked again under the key's lock: an upload of the same content may be recording a row naming it.
      if (await removeUnlessUsed(db, store, scan.storageKey)) filesRemoved = files.length;
    } catch (error) {
      console.error("purge: files left for the orphan sweep:", (error as Error).name);
    }
  }
  await recompute(db, scan.patientId);
  return { scanId: scan.id, purged: true, filesRemoved, sharedWith };
}

export interface WithdrawnScan {
  scanId: string;
  acquiredAt: Date | null;
  withdrawnAt: Date;
  reason: string;
  withdrawnBy: { id: string; name: string; email: string } | null;
}

/** A patient's withdrawn films, newest withdrawal first, with who withdrew them (the patient page's section). */
export async function withdrawnScans(db: Db, patientId: string): Promise<WithdrawnScan[]> {
  const rows = await db.scan.findMany({
    where: { patientId, withdrawnAt: { not: null } },
    orderBy: [{ withdrawnAt: "desc" }, { id: "asc" }],
    select: { id: true, acquiredAt: true, withdrawnAt: true, withdrawnBy: true, withdrawReason: true },
  });
  const userIds = [...new Set(rows.flatMap((r) => (r.withdrawnBy ? [r.withdrawnBy] : [])))];
  const users = new Map(
    (await db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true, email: true } })).map(
      (u) => [u.id, u],
    ),
  );
  return rows.map((r) => ({
    scanId: r.id,
    acquiredAt: r.acquiredAt,
    withdrawnAt: r.withdrawnAt!,
    reason: r.withdrawReason ?? "",
    withdrawnBy: r.withdrawnBy ? (users.get(r.withdrawnBy) ?? null) : null,
  }));
}
