// The job queue: pg-boss on the application's own database (its tables live in the `pgboss` schema). One PgBoss
// instance per process, on globalThis for the same reason as the Prisma client (Next's dev reloads).
//
// A queue message only says "work on bulk job X for a while"; what is left to do lives in bulk_items, and which
// worker may do it is decided by the lease on the job row (lib/bulk/lease.ts). So a message delivered twice, or left
// behind by a process that died, costs nothing.
import PgBoss from "pg-boss";

export const BULK_QUEUE = "radtrack-bulk-ingest";

/** A message may stay active this long before pg-boss retries it; a slice of work is far shorter (worker.ts). */
const EXPIRE_SECONDS = 15 * 60;

const KEY = Symbol.for("radtrack.bulk.boss");
type Holder = typeof globalThis & { [KEY]?: { url: string; boss: Promise<PgBoss> } };

async function startBoss(url: string): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    // Few connections: on the embedded database every connection shares one backend.
    max: 3,
    application_name: "radtrack-queue",
    schedule: false,
    maintenanceIntervalSeconds: 120,
    archiveCompletedAfterSeconds: 3600,
    deleteAfterDays: 7,
  });
  boss.on("error", (error) => console.error("bulk queue:", error.message));
  await boss.start();
  await boss.createQueue(BULK_QUEUE, {
    name: BULK_QUEUE,
    policy: "standard",
    retryLimit: 20,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: EXPIRE_SECONDS,
  });
  return boss;
}

/** The process's queue client, started on first use against DATABASE_URL (or `url`). */
export function queue(url: string | undefined = process.env.DATABASE_URL): Promise<PgBoss> {
  if (!url) return Promise.reject(new Error("DATABASE_URL is not set"));
  const holder = globalThis as Holder;
  if (!holder[KEY] || holder[KEY].url !== url) {
    const boss = startBoss(url);
    holder[KEY] = { url, boss };
    boss.catch(() => {
      // Let the next call try again (the database may come back).
      if (holder[KEY]?.boss === boss) delete holder[KEY];
    });
  }
  return holder[KEY].boss;
}

/**
 * Asks a worker to work on the job. `throttle` (the sweeper's re-sends): at most one message per job every ten
 * seconds.
 */
export async function enqueueBulkJob(jobId: string, options: { throttle?: boolean } = {}): Promise<string | null> {
  const boss = await queue();
  return boss.send(BULK_QUEUE, { jobId }, options.throttle ? { singletonKey: jobId, singletonSeconds: 10 } : {});
}

export async function stopQueue(): Promise<void> {
  const holder = globalThis as Holder;
  const entry = holder[KEY];
  if (!entry) return;
  delete holder[KEY];
  const boss = await entry.boss.catch(() => undefined);
  await boss?.stop({ graceful: false, wait: true, close: true });
}
