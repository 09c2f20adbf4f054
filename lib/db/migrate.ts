// Applies prisma/migrations/*/migration.sql without Prisma's schema engine (a download this project cannot rely on),
// recording each one in `_prisma_migrations` exactly as `prisma migrate deploy` does, so either tool can take over.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { grantApplicationRole } from "./roles";

/** The advisory lock key Prisma's migrate engine takes, so the two never run at once. */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  /** Applied migrations whose file changed since: Prisma warns about these too. */
  modified: string[];
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migration?: string,
  ) {
    super(message);
    this.name = "MigrationError";
  }
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const sql = await readFile(path.join(migrationsDir, name, "migration.sql"), "utf8");
    files.push({ name, sql, checksum: checksumOf(sql) });
  }
  return files;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

export async function migrate(
  connectionString: string,
  options: {
    migrationsDir?: string;
    log?: (line: string) => void;
    /** The role the application connects as, when it is not the one migrating (lib/db/roles.ts). */
    appRole?: string | null;
  } = {},
): Promise<MigrateResult> {
  const migrationsDir = options.migrationsDir ?? path.resolve("prisma", "migrations");
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString });
  try {
    await client.connect();
  } catch (error) {
    throw new MigrationError(`Cannot reach the database to apply migrations: ${(error as Error).message}`);
  }
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
    try {
      const result = await applyPending(client, migrations, log);
      if (options.appRole) await grantApplicationRole(client, options.appRole);
      return result;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK_KEY]);
    }
  } finally {
    await client.end();
  }
}

async function applyPending(
  client: pg.Client,
  migrations: MigrationFile[],
  log: (line: string) => void,
): Promise<MigrateResult> {
  await client.query(CREATE_TABLE);
  const { rows } = await client.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at`,
  );
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration ${failed.migration_name} failed earlier and was not resolved; no further migrations were applied. ` +
        `Fix the database, then mark it with \`prisma migrate resolve\`. Error was: ${failed.logs ?? "unknown"}`,
      failed.migration_name,
    );
  }
  const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
  const result: MigrateResult = { applied: [], alreadyApplied: [], modified: [] };
  for (const migration of migrations) {
    const previous = done.get(migration.name);
    if (previous) {
      result.alreadyApplied.push(migration.name);
      if (previous.checksum !== migration.checksum) result.modified.push(migration.name);
      continue;
    }
    const id = randomUUID();
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    try {
      // One simple-protocol query: Postgres runs a multi-statement script as one implicit transaction, so a
      // failing migration leaves none of its statements behind.
      await client.query(migration.sql);
    } catch (error) {
      const message = (error as Error).message;
      await client.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, message]);
      throw new MigrationError(`Migration ${migration.name} failed: ${message}`, migration.name);
    }
    await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [
      id,
    ]);
    log(`applied migration ${migration.name}`);
    result.applied.push(migration.name);
  }
  return result;
}
