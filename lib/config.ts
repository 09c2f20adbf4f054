// One place that reads the environment. Scripts and the server read the same variables the same way, so two
// instances with two data directories can run side by side.
import { existsSync } from "node:fs";
import path from "node:path";

export interface RadtrackConfig {
  /** Absent: the embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  /** The schema owner's connection for migrations, when the application's role (DATABASE_URL) is another one. */
  migrationDatabaseUrl: string | undefined;
  dataDir: string;
  port: number;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** Idle sessions end after this many seconds without a request. */
  idleTimeoutSeconds: number;
  /** Sessions end this many seconds after login, active or not. */
  sessionMaxAgeSeconds: number;
  /** The chest X-ray corpus used for the reference library and demo data, when present. */
  corpusDir: string | undefined;
  /** Folder holding shared read-only assets (models, corpus) when laid out beside the project. */
  sharedDir: string;
}

function intFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): RadtrackConfig {
  const sharedDir = path.resolve(cwd, env.RADTRACK_SHARED_DIR ?? "../shared");
  const defaultCorpus = path.join(sharedDir, "data", "cxr");
  const corpusDir = env.RADTRACK_CORPUS_DIR
    ? path.resolve(cwd, env.RADTRACK_CORPUS_DIR)
    : existsSync(defaultCorpus)
      ? defaultCorpus
      : undefined;
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    migrationDatabaseUrl: env.RADTRACK_MIGRATION_DATABASE_URL || undefined,
    dataDir: path.resolve(cwd, env.RADTRACK_DATA_DIR ?? ".data"),
    port: intFromEnv("PORT", 3000, env),
    adminEmail: env.RADTRACK_ADMIN_EMAIL || undefined,
    adminPassword: env.RADTRACK_ADMIN_PASSWORD || undefined,
    idleTimeoutSeconds: intFromEnv("RADTRACK_IDLE_TIMEOUT_MINUTES", 30, env) * 60,
    sessionMaxAgeSeconds: intFromEnv("RADTRACK_SESSION_MAX_HOURS", 12, env) * 3600,
    corpusDir,
    sharedDir,
  };
}

let cached: RadtrackConfig | undefined;
export function config(): RadtrackConfig {
  cached ??= loadConfig();
  return cached;
}
