// What every process that serves or works needs before it starts, whichever role it has (`npm start`, `npm run web`,
// `npm run worker`): the schema, a model that matches the stored vectors, and (for web servers) the first admin.
// Safe to run in several processes at once: migrations take an advisory lock, the first admin is created once.
import { loadConfig, type RadtrackConfig } from "@/lib/config";
import { createDb } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { roleOf } from "@/lib/db/roles";
import { ensureFirstAdmin } from "@/lib/users/bootstrap";

export const log = (line: string) => console.log(`[radtrack] ${line}`);

export class LaunchError extends Error {}

/** Prints why the process cannot start and exits: a launcher's answer to a bad setting, never a stack trace. */
export function fail(message: string): never {
  console.error(`[radtrack] ${message}`);
  process.exit(1);
}

/**
 * The configuration of a process of a deployment (`npm run web` / `npm run worker`): several processes share one
 * PostgreSQL, which the embedded database cannot serve, so DATABASE_URL is required.
 */
export function deploymentConfig(role: "web" | "worker"): { cfg: RadtrackConfig; databaseUrl: string } {
  let cfg: RadtrackConfig;
  try {
    cfg = loadConfig();
  } catch (error) {
    fail(`Configuration error: ${(error as Error).message}`);
  }
  const others =
    role === "web"
      ? "web servers share one PostgreSQL with the workers"
      : "workers share one PostgreSQL with the web servers";
  if (!cfg.databaseUrl) {
    fail(`npm run ${role} needs DATABASE_URL: ${others} (the embedded database serves one process: use npm start)`);
  }
  return { cfg, databaseUrl: cfg.databaseUrl };
}

/** Applies migrations (as the migration role when there is one). */
export async function prepareSchema(cfg: RadtrackConfig, databaseUrl: string): Promise<void> {
  try {
    // With a separate migration role, the schema is created by its owner and the application role gets its grants.
    const result = await migrate(cfg.migrationDatabaseUrl ?? databaseUrl, {
      log,
      appRole: cfg.migrationDatabaseUrl ? roleOf(databaseUrl) : null,
    });
    if (result.applied.length === 0) log("database schema is up to date");
    for (const name of result.modified) log(`warning: applied migration ${name} was edited since it was applied`);
  } catch (error) {
    throw new LaunchError(`Could not prepare the database: ${(error as Error).message}`);
  }
}

/**
 * The model on disk must be the one the stored vectors came from (sha256 and dimension), before anything is served.
 * Returns the number of scans without a vector of it (to re-embed).
 */
export async function verifyModel(databaseUrl: string): Promise<{ modelId: string; missing: number }> {
  const prisma = createDb(databaseUrl);
  try {
    const [{ activeModel }, { scansMissingEmbedding }] = await Promise.all([
      import("@/lib/scans/active-model"),
      import("@/lib/scans/reembed"),
    ]);
    const model = await activeModel(prisma);
    const missing = await scansMissingEmbedding(prisma, model.id);
    log(
      `embedding model ${model.id} (${model.dims} dimensions) verified${missing ? `; ${missing} scans to re-embed` : ""}`,
    );
    return { modelId: model.id, missing };
  } catch (error) {
    throw new LaunchError(`The embedding model cannot be used: ${(error as Error).message}`);
  } finally {
    await prisma.$disconnect();
  }
}

/** Creates the first admin from RADTRACK_ADMIN_* (or prints a generated password once) when there is no user. */
export async function prepareFirstAdmin(cfg: RadtrackConfig, databaseUrl: string): Promise<void> {
  const prisma = createDb(databaseUrl);
  try {
    const admin = await ensureFirstAdmin(prisma, { email: cfg.adminEmail, password: cfg.adminPassword });
    if (admin.created && admin.generatedPassword) {
      console.log(
        [
          "",
          "  First admin account created. This password is shown only once:",
          `    e-mail:   ${admin.email}`,
          `    password: ${admin.generatedPassword}`,
          "  Sign in and create named accounts under Admin > Users.",
          "",
        ].join("\n"),
      );
    } else if (admin.created) {
      log(`first admin ${admin.email} created from RADTRACK_ADMIN_EMAIL / RADTRACK_ADMIN_PASSWORD`);
    }
  } catch (error) {
    throw new LaunchError(`Could not create the first admin: ${(error as Error).message}`);
  } finally {
    await prisma.$disconnect();
  }
}
