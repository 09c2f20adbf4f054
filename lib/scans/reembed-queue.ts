// Re-embedding after a model switch, as a pg-boss job that any worker process may run (`npm run worker`). One
// message works for a bounded time and sends a follow-up when scans are left, so a killed worker costs at most one
// message's expiry before another worker carries on; the work itself is idempotent (it picks scans without a vector
// of the model, and a vector written twice is ignored), so a message run twice costs nothing.
import type PgBoss from "pg-boss";
import type { Db } from "@/lib/db/client";
import { queueFor } from "@/lib/jobs/boss";
import { requestDriftRefresh } from "@/lib/timeline/drift-queue";
import { activeModel } from "./active-model";
import { reembedMissing, scansMissingEmbedding } from "./reembed";

export const REEMBED_QUEUE = "radtrack-reembed";

/** Work per message; a message not finished within EXPIRE_SECONDS (a killed worker) is retried by another. */
const SLICE_MS = 60_000;
const EXPIRE_SECONDS = 300;

export function reembedQueue(url?: string): Promise<PgBoss> {
  return queueFor(
    {
      name: REEMBED_QUEUE,
      // At most one waiting and one running: two workers re-embedding the same scans would only do it twice.
      policy: "stately",
      retryLimit: 10,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: EXPIRE_SECONDS,
    },
    url,
  );
}

/** Queues re-embedding for the model (no-op when one is already waiting). */
export async function requestReembedding(modelId: string, url?: string): Promise<boolean> {
  const boss = await reembedQueue(url);
  return (await boss.send(REEMBED_QUEUE, { modelId })) !== null;
}

/** One message's worth of re-embedding: "done", or "more" (a follow-up was queued). */
export async function reembedSlice(
  db: Db,
  modelId: string,
  options: { log?: (line: string) => void; sliceMs?: number } = {},
): Promise<"done" | "more" | "other-model"> {
  const log = options.log ?? (() => {});
  const model = await activeModel(db);
  // A message for a model this process does not run (a rolling upgrade): the workers on the new model take over.
  if (model.id !== modelId) return "other-model";
  const summary = await reembedMissing(db, model, { log, deadline: Date.now() + (options.sliceMs ?? SLICE_MS) });
  if (summary.failed.length) log(`re-embedding for ${model.id}: ${summary.failed.length} scans could not be decoded`);
  const left = (await scansMissingEmbedding(db, model.id)) - summary.failed.length;
  if (left > 0 && summary.embedded > 0) {
    await requestReembedding(model.id);
    return "more";
  }
  log(`re-embedding for ${model.id} done`);
  await requestDriftRefresh(`re-embedding for ${model.id}`);
  return "done";
}

/** Starts this process's re-embedding worker; resolves with a function that stops it. */
export async function startReembedWorker(
  db: Db,
  options: { log?: (line: string) => void } = {},
): Promise<() => Promise<void>> {
  const boss = await reembedQueue();
  await boss.work<{ modelId: string }>(
    REEMBED_QUEUE,
    { batchSize: 1, pollingIntervalSeconds: 2 },
    async ([message]) => {
      if (message) await reembedSlice(db, message.data.modelId, options);
    },
  );
  return async () => {
    await boss.offWork(REEMBED_QUEUE);
  };
}
