// The bulk workers: one per process, fed by the pg-boss queue, any number of processes on any number of machines. A
// queue message makes a worker work on one job for a slice of time (so that several jobs take turns and no message
// stays active for long): it repeatedly claims the next EMBED_BATCH ready files of the job (lib/bulk/claims.ts),
// ingests them together (lib/scans/ingest.ts ingestScans: decode, one embedding batch, store, one transaction that
// also marks the files done), and updates the counts. A worker that finds more work than one batch asks another to
// join, so the workers share a big job. A job that is not done at the end of the slice is sent to the queue again;
// the last worker out closes it under the job's lease.
//
// A killed worker loses nothing: files are marked done in the same transaction as their scans, the staged files stay
// in the store until the job ends, a killed worker's claims run out (at once on its own host), and the sweeper
// (every few seconds, and at start) re-queues every open job and closes cancelled jobs that nobody is working on.
import type { PublicActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { config } from "@/lib/config";
import { db as defaultDb, type Db } from "@/lib/db/client";
import type { JobStatus } from "@/lib/db/generated/enums";
import { embeddingSettings } from "@/lib/embedding";
import { DuplicateScanError } from "@/lib/scans/errors";
import { ingestScans, type IngestInput } from "@/lib/scans/ingest";
import { blobStoreAt } from "@/lib/storage";
import { BlobNotFoundError } from "@/lib/storage/blob-store";
import { ScanStore } from "@/lib/storage/scan-store";
import { BULK_JOB_TYPE, finishJob, refreshProgress } from "./finish";
import { claimHolders, claimItems, releaseClaims, renewClaims, type ClaimedItem } from "./claims";
import { acquireLease, LEASE_MS, leaseIsFree, newToken, releaseLease, type LeaseToken } from "./lease";
import { BULK_QUEUE, bulkQueue, enqueueBulkJob } from "./queue";
import { itemKey, removeJobFiles, removeStaging, stagedJobIds, stagingOlderThan } from "./staging";

export interface WorkerOptions {
  db?: Db;
  dataDir?: string;
  /** Work on one job at most this long per queue message. */
  sliceMs?: number;
  /** How often the sweeper looks for jobs to resume or close. */
  sweepMs?: number;
  /** Files per ingest batch; default EMBED_BATCH. */
  batchSize?: number;
  /** Milliseconds per step are added here (scripts/bench-bulk.ts). */
  timings?: Record<string, number>;
  /** Batches in flight at once (default 2: one embeds while the other writes; 1 for comparison in benchmarks). */
  pipelineDepth?: number;
}

interface Resolved {
  timings?: Record<string, number>;
  db: Db;
  dataDir: string;
  store: ScanStore;
  sliceMs: number;
  batchSize: number;
  pipelineDepth: number;
}

function resolve(options: WorkerOptions): Resolved {
  const dataDir = options.dataDir ?? config().dataDir;
  return {
    db: options.db ?? defaultDb(),
    dataDir,
    // The files of jobs and scans: the configured store (shared by all workers), or the data directory a test names.
    store: new ScanStore(blobStoreAt(options.dataDir)),
    sliceMs: options.sliceMs ?? 60_000,
    batchSize: options.batchSize ?? embeddingSettings().batchSize,
    timings: options.timings,
    pipelineDepth: Math.max(1, options.pipelineDepth ?? 2),
  };
}

export type SliceResult = "done" | "more" | "busy";

async function actorContext(db: Db, job: { createdBy: string | null; payload: unknown }): Promise<PublicActionContext> {
  const user = job.createdBy ? await db.user.findUnique({ where: { id: job.createdBy } }) : null;
  const ip = (job.payload as { ip?: string | null } | null)?.ip ?? null;
  return { actor: user ? { id: user.id, email: user.email, name: user.name, role: user.role } : null, ip };
}

function reasonOf(error: Error): string {
  if (error instanceof UserFacingError) return error.message;
  return "The file could not be processed (an internal error; see the server log).";
}

/** Ingests one batch of ready files and records what became of each. */
async function processBatch(r: Resolved, jobId: string, items: ClaimedItem[], ctx: PublicActionContext): Promise<void> {
  const inputs: IngestInput[] = [];
  const present: typeof items = [];
  const missing: typeof items = [];
  for (const item of items) {
    try {
      const bytes = await r.store.blobs.get(itemKey(jobId, item.seq));
      inputs.push({
        patientId: item.patientId!,
        bytes,
        origin: "bulk",
        acquiredAt: item.acquiredAt ?? undefined,
        view: item.view ?? undefined,
        fileName: item.file,
      });
      present.push(item);
    } catch (error) {
      // Only a file that is gone fails its item; a store that cannot be reached fails the slice, which is retried.
      if (!(error instanceof BlobNotFoundError)) throw error;
      missing.push(item);
    }
  }
  const outcomes = await ingestScans(r.db, inputs, ctx, {
    store: r.store,
    timings: r.timings,
    auditDetails: { job: jobId },
    onRecorded: async (tx, recorded) => {
      const ids = recorded.map((r) => present[r.index]!.id);
      const scanIds = recorded.map((r) => r.scanId);
      const reasons = recorded.map((r) => (r.warnings.length ? r.warnings.join(" ") : null));
      await tx.$executeRaw`
        UPDATE "bulk_items" AS b SET "status" = 'stored', "scan_id" = t.scan_id, "reason" = t.reason,
          "updated_at" = now()
        FROM unnest(${ids}::uuid[], ${scanIds}::uuid[], ${reasons}::text[]) AS t(id, scan_id, reason)
        WHERE b."id" = t.id`;
    },
  });
  const updates = [];
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.ok) continue;
    const item = present[i]!;
    if (outcome.error instanceof DuplicateScanError) {
      updates.push(
        r.db.bulkItem.updateMany({
          where: { id: item.id, status: "ready" },
          data: { status: "duplicate", scanId: outcome.error.existingScanId, reason: outcome.error.message },
        }),
      );
    } else {
      if (!(outcome.error instanceof UserFacingError)) {
        console.error(`bulk job ${jobId}: file #${item.seq} failed:`, outcome.error.name);
        console.error(outcome.error);
      }
      updates.push(
        r.db.bulkItem.updateMany({
          where: { id: item.id, status: "ready" },
          data: { status: "failed", reason: reasonOf(outcome.error) },
        }),
      );
    }
  }
  for (const item of missing) {
    updates.push(
      r.db.bulkItem.updateMany({
        where: { id: item.id, status: "ready" },
        data: { status: "failed", reason: "The uploaded file is no longer on the server; upload it again." },
      }),
    );
  }
  if (updates.length) await r.db.$transaction(updates);
  // Done with these files: free the disk as the job goes (a crash before this only delays it to the job's end).
  await r.store.blobs.remove(items.map((item) => itemKey(jobId, item.seq)));
}

type Outcome = Extract<JobStatus, "succeeded" | "cancelled">;

/**
 * Closes the job when nobody else is working on it: "done" when closed, "busy" when another worker still holds
 * files (it closes the job after them) or the job's lease, "more" when files became free to take meanwhile.
 */
async function closeIfIdle(r: Resolved, jobId: string, outcome: Outcome, self?: LeaseToken): Promise<SliceResult> {
  const lease = await acquireLease(r.db, jobId, outcome === "cancelled" ? ["cancelled"] : ["queued", "running"]);
  if (!lease) return "busy";
  try {
    if ((await claimHolders(r.db, jobId, self)).length > 0) return "busy";
    if (outcome === "succeeded" && (await r.db.bulkItem.count({ where: { jobId, status: "ready" } })) > 0) {
      return "more";
    }
    await finishJob(r.db, jobId, outcome, r);
    return "done";
  } finally {
    await releaseLease(r.db, jobId, lease.token).catch(() => {});
  }
}

/**
 * Works on one job for up to sliceMs, beside any other worker on the same job: batch by batch, on the files it
 * claims. "busy": nothing left for this worker (others hold the rest, or the job is not runnable).
 */
export async function runSlice(jobId: string, options: WorkerOptions = {}): Promise<SliceResult> {
  const r = resolve(options);
  const job = await r.db.job.findUnique({ where: { id: jobId } });
  if (!job || job.finishedAt || !["queued", "running", "cancelled"].includes(job.status)) return "busy";
  if (job.status === "cancelled") return closeIfIdle(r, jobId, "cancelled");
  if (job.status === "queued") {
    await r.db.job.updateMany({
      where: { id: jobId, status: "queued" },
      data: { status: "running", startedAt: job.startedAt ?? new Date() },
    });
  }
  const ctx = await actorContext(r.db, job);
  const token = newToken();
  const deadline = Date.now() + r.sliceMs;
  const pending: Promise<void>[] = [];
  const drain = async () => {
    while (pending.length > 0) await pending.shift();
  };
  // Renewed on a timer, so a slow batch (a loaded machine, a big DICOM) never lets a claim run out.
  const heartbeat = setInterval(() => void renewClaims(r.db, jobId, token).catch(() => {}), LEASE_MS / 4);
  heartbeat.unref();
  let invited = false;
  try {
    for (;;) {
      const status = (await r.db.job.findUnique({ where: { id: jobId }, select: { status: true } }))?.status;
      if (status === "cancelled") {
        await drain();
        await releaseClaims(r.db, jobId, token);
        return closeIfIdle(r, jobId, "cancelled", token);
      }
      if (status !== "running") {
        await drain();
        return "busy";
      }
      const items = await claimItems(r.db, jobId, token, r.batchSize);
      if (items.length === 0) {
        if (pending.length > 0) {
          await drain();
          await refreshProgress(r.db, jobId);
          continue;
        }
        return closeIfIdle(r, jobId, "succeeded", token);
      }
      if (!invited) {
        // More than this batch is left: ask any idle worker to join (at most one message per job every 10 s).
        invited = true;
        if (items.length === r.batchSize) await enqueueBulkJob(jobId, { throttle: true }).catch(() => null);
      }
      // Two batches in flight: one decodes and embeds while the other writes its files and rows.
      const batch = processBatch(r, jobId, items, ctx);
      batch.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
      pending.push(batch);
      if (pending.length >= r.pipelineDepth) {
        await pending.shift();
        await refreshProgress(r.db, jobId);
      }
      if (Date.now() >= deadline) {
        await drain();
        await refreshProgress(r.db, jobId);
        return "more";
      }
    }
  } finally {
    // Never give the files back while a batch of ours is still writing.
    await Promise.allSettled(pending);
    clearInterval(heartbeat);
    await releaseClaims(r.db, jobId, token).catch(() => {});
  }
}

/**
 * Re-queues jobs nobody is working on (a restart, a lost message), closes cancelled jobs left half-done, drops
 * drafts abandoned for a day and staging folders of jobs that ended.
 */
export async function sweep(options: WorkerOptions = {}): Promise<{ requeued: number; closed: number }> {
  const r = resolve(options);
  let requeued = 0;
  let closed = 0;
  const open = await r.db.job.findMany({
    where: { type: BULK_JOB_TYPE, status: { in: ["queued", "running", "cancelled"] } },
    select: { id: true, status: true, leaseOwner: true, leaseUntil: true, finishedAt: true },
  });
  for (const job of open) {
    if (!leaseIsFree(job)) continue;
    if (job.status === "cancelled") {
      if (job.finishedAt) continue;
      if ((await closeIfIdle(r, job.id, "cancelled")) === "done") closed++;
      continue;
    }
    if (await enqueueBulkJob(job.id, { throttle: true })) requeued++;
  }
  const dayAgo = new Date(Date.now() - 24 * 3600_000);
  const stale = await r.db.job.findMany({
    where: { type: BULK_JOB_TYPE, status: "draft", createdAt: { lt: dayAgo } },
    select: { id: true },
  });
  for (const job of stale) {
    await r.db.job.updateMany({
      where: { id: job.id, status: "draft" },
      data: { status: "cancelled", error: "Abandoned: not started within a day.", finishedAt: new Date() },
    });
    await removeJobFiles(r.dataDir, r.store.blobs, job.id);
  }
  const staged = await stagedJobIds(r.dataDir);
  if (staged.length) {
    const live = new Set(
      (
        await r.db.job.findMany({
          where: { id: { in: staged }, status: { in: ["draft", "queued", "running"] } },
          select: { id: true },
        })
      ).map((j) => j.id),
    );
    const cancelledOpen = new Set(open.filter((j) => j.status === "cancelled" && !j.finishedAt).map((j) => j.id));
    const known = new Set(
      (await r.db.job.findMany({ where: { id: { in: staged } }, select: { id: true } })).map((j) => j.id),
    );
    for (const id of staged) {
      if (live.has(id) || cancelledOpen.has(id)) continue;
      // A folder with no job row may belong to a draft another process is creating right now (or to another
      // database on the same data directory): only an hour-old one is an orphan.
      if (!known.has(id) && !(await stagingOlderThan(r.dataDir, id, 3600_000))) continue;
      await removeStaging(r.dataDir, id);
    }
  }
  return { requeued, closed };
}

const KEY = Symbol.for("radtrack.bulk.worker");
type Holder = typeof globalThis & { [KEY]?: Promise<() => Promise<void>> };

/**
 * Starts this process's worker (once; later calls return the same one): the pg-boss subscription and the sweeper.
 * Resolves with a function that stops both.
 */
export function startBulkWorker(options: WorkerOptions = {}): Promise<() => Promise<void>> {
  const holder = globalThis as Holder;
  holder[KEY] ??= (async () => {
    const boss = await bulkQueue();
    let workerId = "";
    workerId = await boss.work<{ jobId: string }>(
      BULK_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: 1 },
      async ([message]) => {
        if (!message) return;
        const result = await runSlice(message.data.jobId, options);
        if (result === "more") {
          await enqueueBulkJob(message.data.jobId);
          if (workerId) boss.notifyWorker(workerId);
        }
      },
    );
    let sweeping = false;
    const tick = async () => {
      if (sweeping) return;
      sweeping = true;
      try {
        await sweep(options);
      } catch (error) {
        console.error("bulk sweeper:", (error as Error).message);
      } finally {
        sweeping = false;
      }
    };
    const timer = setInterval(() => void tick(), options.sweepMs ?? 5_000);
    timer.unref();
    void tick();
    return async () => {
      clearInterval(timer);
      await boss.offWork(BULK_QUEUE);
      delete holder[KEY];
    };
  })();
  holder[KEY].catch(() => delete holder[KEY]);
  return holder[KEY];
}

export async function stopBulkWorker(): Promise<void> {
  const holder = globalThis as Holder;
  const running = holder[KEY];
  if (!running) return;
  const stop = await running.catch(() => undefined);
  await stop?.();
}
