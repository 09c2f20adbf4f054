// A throw-away, fully migrated database for one test file: a fresh database on the server in DATABASE_URL (real
// Postgres + pgvector, as in CI), or an in-memory PGlite when DATABASE_URL is absent. The named database in
// DATABASE_URL itself is never touched.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "@/lib/db/client";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";

export interface TestDatabase {
  url: string;
  db: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  // The first call decides (DATABASE_URL may later point at a test database): an empty marker means PGlite.
  const serverUrl = process.env.RADTRACK_TEST_SERVER_URL ?? process.env.DATABASE_URL ?? "";
  process.env.RADTRACK_TEST_SERVER_URL = serverUrl;
  let url: string;
  let teardown: () => Promise<void>;
  let kind: TestDatabase["kind"];
  if (serverUrl) {
    kind = "postgres";
    const name = `radtrack_test_${Date.now()}_${randomBytes(3).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    teardown = async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    };
  } else {
    kind = "pglite";
    const embedded = await startEmbeddedDatabase({ dataDir: null });
    url = embedded.url;
    teardown = () => embedded.stop();
  }
  if (options.migrate !== false) await migrate(url);
  // The app code under test reads DATABASE_URL through lib/db/client.ts.
  process.env.DATABASE_URL = url;
  const db = createDb(url);
  return {
    url,
    db,
    kind,
    async close() {
      await db.$disconnect();
      await teardown();
    },
  };
}
