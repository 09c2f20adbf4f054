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
    await createQueueOnce(boss, options);
    entry?.queues.add(options.name);
  }
  return boss;
}

/**
 * pg-boss creates a queue as a partition of its job table. Processes starting together (several workers, or one
 * process creating two queues at once) lock that table in different orders and PostgreSQL aborts one of them with a
 * deadlock; the aborted statement changed nothing, so it is tried again after a short random pause.
 */
async function createQueueOnce(boss: PgBoss, options: PgBoss.Queue): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (await boss.getQueue(options.name)) return;
      await boss.createQueue(options.name, options);
      return;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // 40P01 deadlock, 23505/42P07 created meanwhile by another process.
      if (attempt >= 8 || !["40P01", "23505", "42P07"].includes(code ?? "")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200 * attempt));
    }
  }
}

export async function stopJobQueue(): Promise<void> {
  const holder = globalThis as Holder;
  const entry = holder[KEY];
  if (!entry) return;
  delete holder[KEY];
  const boss = await entry.boss.catch(() => undefined);
  await boss?.stop({ graceful: false, wait: true, close: true });
}
