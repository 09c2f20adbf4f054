// The bulk upload queue. A message only says "work on bulk job X for a while"; what is left to do lives in
// bulk_items, and which worker may do it is decided by the lease on the job row (lib/bulk/lease.ts). So a message
// delivered twice, or left behind by a process that died, costs nothing.
import type PgBoss from "pg-boss";
import { queueFor } from "@/lib/jobs/boss";

export const BULK_QUEUE = "radtrack-bulk-ingest";

/** A message may stay active this long before pg-boss retries it; a slice of work is far shorter (worker.ts). */
const EXPIRE_SECONDS = 15 * 60;

export function bulkQueue(): Promise<PgBoss> {
  return queueFor({
    name: BULK_QUEUE,
    policy: "standard",
    retryLimit: 20,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: EXPIRE_SECONDS,
  });
}

/**
 * Asks a worker to work on the job. `throttle` (the sweeper's re-sends): at most one message per job every ten
 * seconds.
 */
export async function enqueueBulkJob(jobId: string, options: { throttle?: boolean } = {}): Promise<string | null> {
  const boss = await bulkQueue();
  return boss.send(BULK_QUEUE, { jobId }, options.throttle ? { singletonKey: jobId, singletonSeconds: 10 } : {});
}
