// The one Prisma client of the process. Built lazily so that importing a module never opens a connection, and kept
// on globalThis so that Next's dev reloads do not open a pool per reload.
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseUrl } from "@/lib/config";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

const globalForDb = globalThis as unknown as { radtrackDb?: PrismaClient; radtrackDbUrl?: string };

export function createDb(connectionString: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString, max: 10 }) });
}

export function db(): PrismaClient {
  const url = databaseUrl();
  if (!url) {
    throw new Error("DATABASE_URL is not set: start Radtrack with `npm start`, which provides the embedded database.");
  }
  if (!globalForDb.radtrackDb || globalForDb.radtrackDbUrl !== url) {
    globalForDb.radtrackDb = createDb(url);
    globalForDb.radtrackDbUrl = url;
  }
  return globalForDb.radtrackDb;
}
