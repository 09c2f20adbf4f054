// The job queue: pg-boss on the application's own database (its tables live in the `pgboss` schema). One PgBoss
// instance per process, shared by every queue (bulk uploads, drift recomputation), on globalThis for the same reason
// as the Prisma client (Next's dev reloads).
import PgBoss from "pg-boss";
import { databaseUrl } from "@/lib/config";

const KEY = Symbol.for("radtrack.jobs.boss");
type Holder = typeof globalThis & { [KEY]?: { url: string; boss: Promise<PgBoss>; queues: Set<string> } };

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
  boss.on("error", (error) => console.error("job queue:", error.message));
  await boss.start();
  return boss;
}

/** The process's queue client, started on first use against DATABASE_URL (or `url`). */
export function jobQueue(url: string | undefined = databaseUrl()): Promise<PgBoss> {
  if (!url) return Promise.reject(new Error("DATABASE_URL is not set"));
  const holder = globalThis as Holder;
  if (!holder[KEY] || holder[KEY].url !== url) {
    const boss = startBoss(url);
    holder[KEY] = { url, boss, queues: new Set() };
    boss.catch(() => {
      // Let the next call try again (the database may come back).
      if (holder[KEY]?.boss === boss) delete holder[KEY];
    });
  }
  return holder[KEY].boss;
}

/** The client with `options.name` created (once per process; createQueue is idempotent but costs a round trip). */
export async function queueFor(options: PgBoss.Queue, url?: string): Promise<PgBoss> {
  const boss = await jobQueue(url);
  const entry = (globalThis as Holder)[KEY];
  if (!entry?.queues.has(options.name)) {
    await boss.createQueue(options.name, options);
    entry?.queues.add(options.name);
  }
  return boss;
}

export async function stopJobQueue(): Promise<void> {
  const holder = globalThis as Holder;
  const entry = holder[KEY];
  if (!entry) return;
  delete holder[KEY];
  const boss = await entry.boss.catch(() => undefined);
  await boss?.stop({ graceful: false, wait: true, close: true });
}
