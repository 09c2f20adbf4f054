// Issue #11, item 1 on PostgreSQL: the migration role owns the schema; the application role (DATABASE_URL) may only
// append to and read the audit log, and cannot disable its trigger, yet runs the app (index builds, the job queue).
// PGlite has a single superuser session shared by every connection (docs/security.md): this runs on PostgreSQL only.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAudit } from "@/lib/audit/audit-log";
import { createDb, type Db } from "@/lib/db/client";
import { migrate } from "@/lib/db/migrate";
import { ensureModel } from "@/lib/db/vector-sql";
import { jobQueue, stopJobQueue } from "@/lib/jobs/boss";

const serverUrl = process.env.RADTRACK_TEST_SERVER_URL ?? process.env.DATABASE_URL ?? "";

async function asSuperuser<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function withUserAndDb(url: string, user: string, db: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = "";
  u.pathname = `/${db}`;
  return u.toString();
}

describe.skipIf(!serverUrl)("database roles on PostgreSQL", () => {
  const suffix = randomBytes(3).toString("hex");
  const owner = `radtrack_owner_${suffix}`;
  const app = `radtrack_app_${suffix}`;
  const name = `radtrack_roles_${suffix}`;
  let appClient: pg.Client;
  let appDb: Db;

  beforeAll(async () => {
    await asSuperuser(serverUrl, async (c) => {
      await c.query(`CREATE ROLE ${owner} LOGIN`);
      await c.query(`CREATE ROLE ${app} LOGIN`);
      // README: the migration role is a member of the application role, never the other way round.
      await c.query(`GRANT ${app} TO ${owner}`);
      await c.query(`CREATE DATABASE ${name} OWNER ${owner}`);
    });
    // pgvector is installed by whoever may (a superuser) where it is not a trusted extension.
    await asSuperuser(withUserAndDb(serverUrl, new URL(serverUrl).username, name), (c) =>
      c.query("CREATE EXTENSION IF NOT EXISTS vector"),
    );
    await migrate(withUserAndDb(serverUrl, owner, name), { appRole: app });
    appClient = new pg.Client({ connectionString: withUserAndDb(serverUrl, app, name) });
    await appClient.connect();
    appDb = createDb(withUserAndDb(serverUrl, app, name));
  });

  afterAll(async () => {
    await stopJobQueue();
    await appDb?.$disconnect();
    await appClient?.end();
    await asSuperuser(serverUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${owner}`);
      await c.query(`DROP ROLE IF EXISTS ${app}`);
    });
  });

  it("lets the application role append to and read the audit log", async () => {
    await recordAudit(appDb, { action: "auth.logout", actorId: null, ip: "127.0.0.1" });
    const { rows } = await appClient.query("SELECT action FROM audit_events");
    expect(rows.map((r) => r.action)).toEqual(["auth.logout"]);
  });

  it("refuses the application role anything that would rewrite the audit log", async () => {
    const attempts = [
      "ALTER TABLE audit_events DISABLE TRIGGER USER",
      "ALTER TABLE audit_events DISABLE TRIGGER ALL",
      "DROP TRIGGER audit_events_no_update ON audit_events",
      "TRUNCATE audit_events",
      "DELETE FROM audit_events",
      "UPDATE audit_events SET action = 'x'",
      "DROP TABLE audit_events",
      "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    ];
    for (const sql of attempts) {
      await expect(appClient.query(sql), sql).rejects.toMatchObject({ code: "42501" });
    }
    const { rows } = await appClient.query("SELECT count(*)::int AS n FROM audit_events");
    expect(rows[0].n).toBe(1);
  });

  it("still lets the application role build vector indexes and run the job queue", async () => {
    await ensureModel(appDb, { id: `roles-test-${suffix}`, sha256: "0".repeat(64), dims: 8, card: {} });
    const { rows } = await appClient.query(
      "SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = 'embeddings' AND indexname LIKE 'embeddings_hnsw%'",
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(4);
    const boss = await jobQueue(withUserAndDb(serverUrl, app, name));
    await boss.createQueue(`roles-${suffix}`);
    expect(await boss.send(`roles-${suffix}`, { ok: true })).toBeTruthy();
  });
});
