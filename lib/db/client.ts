// The one Prisma client of the process. Built lazily so that importing a module never opens a connection, and kept
// on globalThis so that Next's dev reloads do not open a pool per reload.
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseTimeouts, databaseUrl, type DatabaseTimeouts } from "@/lib/config";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

const globalForDb = globalThis as unknown as { radtrackDb?: PrismaClient; radtrackDbUrl?: string };

/**
 * A client for `connectionString`. With `timeouts` every wait is bounded (the web server's requests); without, none
 * is (scripts and workers that build indexes or import a library, whose statements may rightly take minutes).
 */
export function createDb(connectionString: string, timeouts?: DatabaseTimeouts): PrismaClient {
  const bounds = timeouts && {
    // Also bounds the wait for a free pooled connection.
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    query_timeout: timeouts.readMs,
  };
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, max: 10, ...bounds }) });
}

export function db(): PrismaClient {
  const url = databaseUrl();
  if (!url) {
    throw new Error("DATABASE_URL is not set: start Radtrack with `npm start`, which provides the embedded database.");
  }
  if (!globalForDb.radtrackDb || globalForDb.radtrackDbUrl !== url) {
    globalForDb.radtrackDb = createDb(url, databaseTimeouts());
    globalForDb.radtrackDbUrl = url;
  }
  return globalForDb.radtrackDb;
}
