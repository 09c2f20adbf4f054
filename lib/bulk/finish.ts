// The end of a bulk job, however it ends (all files done, or cancelled): counts, the summary, and the clean-up of
// the staging folder and of any store folder that a crash left without a scan row.
import type { Db } from "@/lib/db/client";
import type { BulkItemStatus, JobStatus } from "@/lib/db/generated/enums";
import type { ScanStore } from "@/lib/storage/scan-store";
import { requestDriftRefresh } from "@/lib/timeline/drift-queue";
import { removeJobFiles } from "./staging";

export const BULK_JOB_TYPE = "bulk-upload";

export type ItemCounts = Record<BulkItemStatus, number>;

export async function itemCounts(db: Db, jobId: string): Promise<ItemCounts> {
  const counts: ItemCounts = {
    refused: 0,
    needs_patient: 0,
    ready: 0,
    stored: 0,
    duplicate: 0,
    failed: 0,
    cancelled: 0,
  };
  const rows = await db.bulkItem.groupBy({ by: ["status"], where: { jobId }, _count: { _all: true } });
  for (const row of rows) counts[row.status] = row._count._all;
  return counts;
}

/** processed = files the worker is done with (stored, already there, or failed); failed is part of processed. */
export async function refreshProgress(db: Db, jobId: string): Promise<ItemCounts> {
  const counts = await itemCounts(db, jobId);
  await db.job.update({
    where: { id: jobId },
    data: { processed: counts.stored + counts.duplicate + counts.failed, failed: counts.failed },
  });
  return counts;
}

/** Store folders younger than this are left alone: another upload of the same image may be about to commit. */
const ORPHAN_MIN_AGE_MS = 30_000;

/** Removes store folders of this job's files that no scan row uses (a crash between writing files and committing). */
export async function removeOrphans(db: Db, jobId: string, store: ScanStore): Promise<number> {
  const items = await db.bulkItem.findMany({
    where: { jobId, status: { not: "stored" }, sha256: { not: null } },
    select: { sha256: true },
  });
  let removed = 0;
  for (const sha256 of new Set(items.map((i) => i.sha256!))) {
    const key = store.keyFor(sha256);
    if (!(await store.exists(key))) continue;
    if (await db.scan.findFirst({ where: { storageKey: key }, select: { id: true } })) continue;
    const writtenAt = await store.writtenAt(key);
    if (!writtenAt || Date.now() - writtenAt.getTime() < ORPHAN_MIN_AGE_MS) continue;
    await store.remove(key);
    removed++;
  }
  return removed;
}

/**
 * Closes a job the caller holds the lease of: the files not yet processed of a cancelled job become "cancelled",
 * counts and summary are written, the staging folder goes.
 */
export async function finishJob(
  db: Db,
  jobId: string,
  outcome: Extract<JobStatus, "succeeded" | "cancelled">,
  options: { dataDir: string; store: ScanStore },
): Promise<void> {
  if (outcome === "cancelled") {
    await db.bulkItem.updateMany({
      where: { jobId, status: { in: ["ready", "needs_patient"] } },
      data: { status: "cancelled", reason: "The job was cancelled before this file was processed." },
    });
  }
  const counts = await refreshProgress(db, jobId);
  await db.job.updateMany({
    where: { id: jobId, status: outcome === "succeeded" ? { in: ["queued", "running"] } : "cancelled" },
    data: {
      status: outcome,
      finishedAt: new Date(),
      report: { ...counts },
      leaseOwner: null,
      leaseUntil: null,
    },
  });
  await removeJobFiles(options.dataDir, options.store.blobs, jobId);
  await removeOrphans(db, jobId, options.store);
  // The patients who got scans need their drift summaries (the patient list) brought up to date.
  if (counts.stored > 0) await requestDriftRefresh(`bulk job ${jobId}`);
}
