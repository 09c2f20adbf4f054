// Recomputes the drift (scan assessments and patient summaries) in the background after what it depends on changed:
// the reference library (import, demo seeding), the active model (end of a re-embedding) or patients' scans (a bulk
// job). A pg-boss queue with the "stately" policy holds at most one waiting and one running refresh, so a burst of
// requests costs one run, and a request made while a run is under way still gets its own run afterwards.
import type PgBoss from "pg-boss";
import { db as defaultDb, type Db } from "@/lib/db/client";
import { queueFor } from "@/lib/jobs/boss";
import { refreshStaleSummaries } from "./refresh";

export const DRIFT_QUEUE = "radtrack-drift-refresh";

export interface DriftRefreshRun {
  reason: string;
  startedAt: string;
  seconds: number;
  patients: number;
  error: string | null;
}

export function driftQueue(url?: string): Promise<PgBoss> {
  return queueFor(
    { name: DRIFT_QUEUE, policy: "stately", retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 3600 },
    url,
  );
}

/**
 * Asks for a refresh. Never throws: a queue that cannot be reached only logs (the pages show stale values as
 * "updating", and the worker's run at the next start catches up). True when a run was queued, false
 * when one was already waiting or the queue is unavailable.
 */
export async function requestDriftRefresh(reason: string, options: { url?: string } = {}): Promise<boolean> {
  try {
    const boss = await driftQueue(options.url);
    return (await boss.send(DRIFT_QUEUE, { reason })) !== null;
  } catch (error) {
    console.warn(`[radtrack] drift refresh not queued (${reason}): ${(error as Error).message}`);
    return false;
  }
}

const KEY = Symbol.for("radtrack.drift.worker");
type Holder = typeof globalThis & {
  [KEY]?: { stop: Promise<() => Promise<void>>; last: DriftRefreshRun | null; running: DriftRefreshRun | null };
};

/** The latest finished run and the one in progress in this process (the admin status page). */
export function driftWorkerState(): {
  started: boolean;
  last: DriftRefreshRun | null;
  running: DriftRefreshRun | null;
} {
  const entry = (globalThis as Holder)[KEY];
  return { started: Boolean(entry), last: entry?.last ?? null, running: entry?.running ?? null };
}

export async function pendingDriftRefreshes(): Promise<number | null> {
  try {
    return await (await driftQueue()).getQueueSize(DRIFT_QUEUE);
  } catch {
    return null;
  }
}

/** Starts this process's drift worker (once) and queues a first run, which catches up with changes made offline. */
export function startDriftWorker(
  options: { db?: Db; log?: (line: string) => void; pollingIntervalSeconds?: number } = {},
): Promise<() => Promise<void>> {
  const holder = globalThis as Holder;
  if (holder[KEY]) return holder[KEY].stop;
  const log = options.log ?? ((line: string) => console.log(`[radtrack] ${line}`));
  const entry: NonNullable<Holder[typeof KEY]> = { stop: Promise.resolve(async () => {}), last: null, running: null };
  entry.stop = (async () => {
    const boss = await driftQueue();
    await boss.work<{ reason: string }>(
      DRIFT_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
      async ([message]) => {
        const run: DriftRefreshRun = {
          reason: message?.data.reason ?? "unknown",
          startedAt: new Date().toISOString(),
          seconds: 0,
          patients: 0,
          error: null,
        };
        entry.running = run;
        const started = performance.now();
        try {
          run.patients = await refreshStaleSummaries(options.db ?? defaultDb(), { log });
        } catch (error) {
          run.error = (error as Error).message;
          throw error; // pg-boss retries it later
        } finally {
          run.seconds = (performance.now() - started) / 1000;
          entry.running = null;
          entry.last = run;
        }
      },
    );
    await requestDriftRefresh("server start");
    return async () => {
      await boss.offWork(DRIFT_QUEUE);
      if (holder[KEY] === entry) delete holder[KEY];
    };
  })();
  holder[KEY] = entry;
  entry.stop.catch(() => {
    if (holder[KEY] === entry) delete holder[KEY];
  });
  return entry.stop;
}

export async function stopDriftWorker(): Promise<void> {
  const entry = (globalThis as Holder)[KEY];
  if (!entry) return;
  const stop = await entry.stop.catch(() => undefined);
  await stop?.();
}
