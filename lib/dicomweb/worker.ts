// The poller as a pg-boss job: one job runs a poll, then queues the next one for the time the poll chose (the poll
// interval, or the back-off while the PACS is down). The "stately" policy keeps at most one waiting and one running
// poll across every process of a deployment, and the waiting job survives restarts in the database.
import type PgBoss from "pg-boss";
import { db as defaultDb, type Db } from "@/lib/db/client";
import { queueFor } from "@/lib/jobs/boss";
import { pollOnce, type PollReport } from "./poller";
import { activeDicomweb, receiveSettings } from "./settings";

export const DICOMWEB_QUEUE = "radtrack-dicomweb-poll";
/** How often a process without a configured PACS looks again (an admin may save settings meanwhile). */
const IDLE_SECONDS = 10;

export function dicomwebQueue(url?: string): Promise<PgBoss> {
  return queueFor({ name: DICOMWEB_QUEUE, policy: "stately", retryLimit: 0, expireInSeconds: 1800 }, url);
}

/** Queues a poll to start after `seconds` (0: now). A poll already waiting wins: stately keeps one. */
export async function requestPoll(seconds = 0): Promise<boolean> {
  const boss = await dicomwebQueue();
  return (await boss.send(DICOMWEB_QUEUE, {}, { startAfter: Math.max(0, Math.round(seconds)) })) !== null;
}

const KEY = Symbol.for("radtrack.dicomweb.worker");
type Holder = typeof globalThis & { [KEY]?: Promise<() => Promise<void>> };

export function startDicomwebWorker(
  options: { db?: Db; pollingIntervalSeconds?: number; onPoll?: (report: PollReport | null) => void } = {},
): Promise<() => Promise<void>> {
  const holder = globalThis as Holder;
  if (holder[KEY]) return holder[KEY];
  const started = (async () => {
    const boss = await dicomwebQueue();
    await boss.work(
      DICOMWEB_QUEUE,
      { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
      async () => {
        const db = options.db ?? defaultDb();
        let next = IDLE_SECONDS;
        let report: PollReport | null = null;
        try {
          const active = await activeDicomweb(db);
          if (active.config) {
            report = await pollOnce(db, active.config, receiveSettings(active.config));
            next = (report.nextPollAt.getTime() - Date.now()) / 1000;
            if (report.error) console.warn(`[radtrack] DICOMweb poll failed: ${report.error}`);
          }
        } finally {
          // The chain must go on whatever happened to this poll.
          await boss.send(DICOMWEB_QUEUE, {}, { startAfter: Math.max(1, Math.round(next)) });
          options.onPoll?.(report);
        }
      },
    );
    await requestPoll(0);
    return async () => {
      await boss.offWork(DICOMWEB_QUEUE);
      if (holder[KEY] === started) delete holder[KEY];
    };
  })();
  holder[KEY] = started;
  started.catch(() => {
    if (holder[KEY] === started) delete holder[KEY];
  });
  return started;
}

export async function stopDicomwebWorker(): Promise<void> {
  const entry = (globalThis as Holder)[KEY];
  if (!entry) return;
  const stop = await entry.catch(() => undefined);
  await stop?.();
}
