// The zero-setup database: PGlite (Postgres compiled to WASM, with pgvector) persisted under the data directory and
// served over the Postgres wire protocol on loopback, so the app, Prisma and the migration runner use the same `pg`
// code path as against a real server. The socket server accepts anyone on its own, so it sits behind a password
// generated once and kept in the data directory (0600): other local accounts can neither read the data directory
// nor log in.
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { secureDataDir, tighten } from "@/lib/runtime/data-dir";
import { ensureSecretFile } from "@/lib/runtime/secrets";
import { keepExtendedQueriesTogether } from "./pglite-queue";
import { assertEmbeddedDatabaseFree } from "./embedded-guard";
import { requirePassword } from "./wire-auth";

/** The one user name the embedded server accepts. */
export const EMBEDDED_DB_USER = "radtrack";
/** The password file under the data directory. */
export const EMBEDDED_DB_PASSWORD_FILE = "db-password";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedDatabase(options: {
  /** null keeps the database in memory (tests). */
  dataDir: string | null;
  /** 0 picks a free port. */
  port?: number;
  /** What the user can do instead when another process has this data directory open. */
  alternative?: string;
}): Promise<EmbeddedDatabase> {
  if (options.dataDir !== null) {
    await secureDataDir(options.dataDir);
    await assertEmbeddedDatabaseFree(
      options.dataDir,
      options.alternative ?? "give this program its own RADTRACK_DATA_DIR, or use DATABASE_URL",
    );
  }
  const dir = options.dataDir === null ? undefined : path.join(options.dataDir, "pglite");
  if (dir) await mkdir(dir, { recursive: true, mode: 0o700 });
  // In memory (tests): a fresh password per server, as nothing outlives it.
  const password =
    options.dataDir === null
      ? randomBytes(32).toString("base64url")
      : await ensureSecretFile(options.dataDir, EMBEDDED_DB_PASSWORD_FILE);
  let db: PGlite;
  try {
    db = await PGlite.create(dir ?? "memory://", { extensions: { vector } });
  } catch (error) {
    throw new Error(
      `Could not open the embedded database in ${dir}: ${(error as Error).message}. ` +
        "Is another Radtrack instance using this data directory? Set RADTRACK_DATA_DIR to another folder.",
    );
  }
  if (dir) await tighten(dir);
  await db.exec("CREATE EXTENSION IF NOT EXISTS vector");
  const port = options.port ?? 0;
  // All connections share PGlite's single backend; the socket server queues their queries.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 64 });
  keepExtendedQueriesTogether(server);
  requirePassword(server, { user: EMBEDDED_DB_USER, password });
  await server.start();
  const conn = server.getServerConn();
  const boundPort = await resolvePort(server, conn, port);
  return {
    url: `postgresql://${EMBEDDED_DB_USER}:${password}@127.0.0.1:${boundPort}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
      if (dir) await tighten(dir);
    },
  };
}

async function resolvePort(server: PGLiteSocketServer, conn: string, requested: number): Promise<number> {
  if (requested !== 0) return requested;
  // getServerConn() reports the requested port; ask the listening socket for the one the OS chose.
  const inner = (server as unknown as { server?: { address(): { port: number } | string | null } }).server;
  const address = inner?.address();
  if (address && typeof address === "object") return address.port;
  const match = /:(\d+)$/.exec(conn);
  if (!match?.[1]) throw new Error(`Could not tell which port the embedded database listens on (${conn})`);
  return Number(match[1]);
}
