// Results go back to the PACS from a pg-boss queue, never from the request that stored the film: an upload or a
// poll is answered as soon as its films are stored, and a PACS that is down delays only the SR. A failed send is
// tried again with exponential back-off (30 s doubling, eight tries over about two hours); each try is audited.
import type PgBoss from "pg-boss";
import { db as defaultDb, type Db } from "@/lib/db/client";
import { queueFor } from "@/lib/jobs/boss";
import type { ScanStore } from "@/lib/storage/scan-store";
import { sendingResults, sendResult, type SendOutcome } from "./send";

export const RESULTS_QUEUE = "radtrack-results-send";

export interface ResultsQueueOptions {
  retryLimit?: number;
  retryDelay?: number;
}

export function resultsQueue(url?: string, options: ResultsQueueOptions = {}): Promise<PgBoss> {
  return queueFor(
    {
      name: RESULTS_QUEUE,
      policy: "standard",
      retryLimit: options.retryLimit ?? 8,
      retryDelay: options.retryDelay ?? 30,
      retryBackoff: true,
      expireInSeconds: 300,
    },
    url,
  );
}

/**
 * Queues the results of freshly stored films when sending is on. Never throws: the films are stored whatever happens
 * here, and a result that was not queued can be sent again later (the SR's UIDs do not change).
 */
export async function queueResultSends(db: Db, scanIds: readonly string[]): Promise<number> {
  if (scanIds.length === 0) return 0;
  try {
    if (!(await sendingResults(db))) return 0;
    const boss = await resultsQueue();
    let queued = 0;
    for (const scanId of scanIds) if ((await boss.send(RESULTS_QUEUE, { scanId })) !== null) queued++;
    return queued;
  } catch (error) {
    console.warn(`[radtrack] results not queued for the PACS: ${(error as Error).message}`);
    return 0;
  }
}

const KEY = Symbol.for("radtrack.results.worker");
type Holder = typeof globalThis & { [KEY]?: Promise<() => Promise<void>> };

export function startResultsWorker(
  options: {
    db?: Db;
    store?: ScanStore;
    pollingIntervalSeconds?: number;
    onSent?: (scanId: string, outcome: SendOutcome | Error) => void;
  } = {},
): Promise<() => Promise<void>> {
  const holder = globalThis as Holder;
  if (holder[KEY]) return holder[KEY];
  const started = (async () => {
    const boss = await resultsQueue();
    await boss.work<{ scanId: string }>(
      RESULTS_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, includeMetadata: true },
      async ([job]) => {
        if (!job) return;
        const { scanId } = job.data;
        try {
          const outcome = await sendResult(options.db ?? defaultDb(), scanId, {
            store: options.store,
            attempt: job.retryCount + 1,
          });
          options.onSent?.(scanId, outcome);
        } catch (error) {
          options.onSent?.(scanId, error as Error);
          console.warn(`[radtrack] result of scan ${scanId} not sent to the PACS: ${(error as Error).message}`);
          throw error; // pg-boss tries again after the back-off
        }
      },
    );
    return async () => {
      await boss.offWork(RESULTS_QUEUE);
      if (holder[KEY] === started) delete holder[KEY];
    };
  })();
  holder[KEY] = started;
  started.catch(() => {
    if (holder[KEY] === started) delete holder[KEY];
  });
  return started;
}

export async function stopResultsWorker(): Promise<void> {
  const entry = (globalThis as Holder)[KEY];
  if (!entry) return;
  const stop = await entry.catch(() => undefined);
  await stop?.();
}
