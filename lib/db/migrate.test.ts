import { mkdtemp, mkdir, writeFile, cp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import { checksumOf, migrate, MigrationError, readMigrations } from "./migrate";

async function rows(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe("migration runner", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
  });
  afterAll(() => t.close());

  it("applies every migration to a fresh database and records it as Prisma does", async () => {
    const files = await readMigrations(path.resolve("prisma/migrations"));
    const result = await migrate(t.url);
    expect(result.applied).toEqual(files.map((f) => f.name));
    const recorded = await rows(t.url, `SELECT * FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(recorded).toHaveLength(files.length);
    for (const [i, row] of recorded.entries()) {
      const file = files[i]!;
      expect(row.migration_name).toBe(file.name);
      expect(row.checksum).toBe(checksumOf(file.sql));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.started_at.getTime()).toBeLessThanOrEqual(row.finished_at.getTime());
      expect(row.applied_steps_count).toBe(1);
      expect(row.logs).toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
    const tables = await rows(t.url, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
    expect(tables.map((r) => r.tablename)).toEqual(
      expect.arrayContaining([
        "users",
        "patients",
        "scans",
        "embeddings",
        "reference_labels",
        "models",
        "audit_events",
        "jobs",
      ]),
    );
    const hnsw = await rows(
      t.url,
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'embeddings' AND indexdef LIKE '%hnsw%'`,
    );
    expect(hnsw.length).toBeGreaterThan(0);
    expect(hnsw[0]!.indexdef).toContain("vector_cosine_ops");
  });

  it("is a no-op when re-run", async () => {
    const before = await rows(t.url, `SELECT id, finished_at FROM "_prisma_migrations" ORDER BY id`);
    const result = await migrate(t.url);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied.length).toBe(before.length);
    expect(await rows(t.url, `SELECT id, finished_at FROM "_prisma_migrations" ORDER BY id`)).toEqual(before);
  });

  it("records a failing migration, leaves none of its statements behind and stops the run", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-migrations-"));
    await cp(path.resolve("prisma/migrations"), dir, { recursive: true });
    await mkdir(path.join(dir, "29990101000000_broken"));
    await writeFile(
      path.join(dir, "29990101000000_broken", "migration.sql"),
      `CREATE TABLE "half_done" (id int);\nSELECT * FROM "no_such_table";\n`,
    );
    await mkdir(path.join(dir, "29990102000000_after"));
    await writeFile(path.join(dir, "29990102000000_after", "migration.sql"), `CREATE TABLE "after_broken" (id int);\n`);

    await expect(migrate(t.url, { migrationsDir: dir })).rejects.toThrow(/29990101000000_broken failed/);
    const [failed] = await rows(
      t.url,
      `SELECT * FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`,
    );
    expect(failed.finished_at).toBeNull();
    expect(failed.applied_steps_count).toBe(0);
    expect(failed.logs).toMatch(/no_such_table/);
    const leftovers = await rows(
      t.url,
      `SELECT tablename FROM pg_tables WHERE tablename IN ('half_done', 'after_broken')`,
    );
    expect(leftovers).toEqual([]);

    // Until someone resolves it, every later run refuses, naming the failed migration.
    const again = migrate(t.url, { migrationsDir: dir });
    await expect(again).rejects.toBeInstanceOf(MigrationError);
    await expect(migrate(t.url, { migrationsDir: dir })).rejects.toThrow(/failed earlier/);
  });

  it("says clearly when the database cannot be reached", async () => {
    await expect(migrate("postgresql://nobody@127.0.0.1:1/none")).rejects.toThrow(/Cannot reach the database/);
  });
});

describe("the reference class copied onto embeddings", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false });
  });
  afterAll(() => t.close());

  it("is filled in for vectors stored before its migration, and kept by triggers after it", async () => {
    const all = path.resolve("prisma/migrations");
    const target = "20261127000000_embedding_reference_class";
    const earlier = await mkdtemp(path.join(os.tmpdir(), "radtrack-migrations-"));
    await cp(all, earlier, { recursive: true, filter: (src) => !src.includes(target) });
    await migrate(t.url, { migrationsDir: earlier });
    const v = `[${Array.from({ length: 4 }, (_, i) => i + 1).join(",")}]`;
    // A reference film with a vector, and a patient's film with one, stored by the code before the migration.
    await rows(
      t.url,
      `INSERT INTO "models" ("id", "sha256", "dims", "card") VALUES ('m@1', '${"0".repeat(64)}', 4, '{}');
       INSERT INTO "patients" ("id", "mrn", "name", "sex", "updated_at")
         VALUES ('00000000-0000-4000-8000-0000000000a0', 'M-1', 'Migration', 'female', now());
       INSERT INTO "scans" ("id", "patient_id", "sha256", "storage_key", "width", "height", "origin") VALUES
         ('00000000-0000-4000-8000-000000000001', NULL, 'a', 'a', 1, 1, 'reference'),
         ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-0000000000a0', 'b', 'b', 1, 1, 'upload');
       INSERT INTO "reference_labels" ("scan_id", "class", "source", "source_id")
         VALUES ('00000000-0000-4000-8000-000000000001', 'infected', 't', '1');
       INSERT INTO "embeddings" ("id", "scan_id", "model_id", "vector") VALUES
         (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'm@1', '${v}'),
         (gen_random_uuid(), '00000000-0000-4000-8000-000000000002', 'm@1', '${v}');`,
    );
    expect((await migrate(t.url)).applied).toEqual([target]);
    const classes = async () =>
      (await rows(t.url, `SELECT "reference_class" FROM "embeddings" ORDER BY "scan_id"`)).map(
        (r: { reference_class: string | null }) => r.reference_class,
      );
    expect(await classes()).toEqual(["infected", null]);
    // The patient's film joins the library under another class; the first film's label changes, then goes.
    await rows(
      t.url,
      `INSERT INTO "reference_labels" ("scan_id", "class", "source", "source_id")
         VALUES ('00000000-0000-4000-8000-000000000002', 'healthy', 't', '2')`,
    );
    await rows(t.url, `UPDATE "reference_labels" SET "class" = 'severe' WHERE "source_id" = '1'`);
    expect(await classes()).toEqual(["severe", "healthy"]);
    await rows(t.url, `DELETE FROM "reference_labels" WHERE "source_id" = '1'`);
    expect(await classes()).toEqual([null, "healthy"]);
    // Removing a scan removes its label and vectors together (cascades) without tripping the triggers.
    await rows(t.url, `DELETE FROM "scans" WHERE "id" = '00000000-0000-4000-8000-000000000002'`);
    expect(await classes()).toEqual([null]);
  });
});
