// Reference library import on a subset of the real corpus (real X-rays, real embeddings, real database): what is
// taken, what is refused and why, and that running it again adds nothing.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine } from "@/lib/embedding";
import { importReferenceLibrary, SKIP_REASONS, type ImportSummary } from "@/lib/reference";
import { makeCorpusSubset, readCorpusTable, type CorpusSubset } from "@/tests/support/reference/corpus-subset";
import { registerModel } from "@/tests/support/reference/model";
import type { ActiveModel } from "@/lib/scans/active-model";
import { reembedMissing } from "@/lib/scans/reembed";
import { ScanStore } from "@/lib/storage/scan-store";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

describe("reference import", () => {
  let t: TestDatabase;
  let model: ActiveModel;
  let corpus: CorpusSubset;
  let storeDir: string;
  let store: ScanStore;
  let first: ImportSummary;
  let expectedIds: string[];
  let scoredId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    model = await registerModel(t.db);
    storeDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-store-"));
    store = ScanStore.forDataDir(storeDir);
    const table = await readCorpusTable();
    const value = (id: string, name: string) => table.rows.get(id)![table.col(name)]!;
    const ids = [...table.rows.keys()].sort();
    // Undated adults only, so none of them can turn into a demo patient of this small folder.
    const nih = ids.filter((id) => id.startsWith("nih")).filter((_, i) => i % 40 === 0);
    const cohen = ids
      .filter((id) => id.startsWith("coh") && value(id, "offset_days") === "" && value(id, "age_group") === "adult")
      .filter((_, i) => i % 12 === 0);
    scoredId = ids.find(
      (id) =>
        value(id, "geographic_mean") !== "" && value(id, "offset_days") === "" && value(id, "age_group") === "adult",
    )!;
    const demoPerson = ids.filter((id) => value(id, "patient_id") === "cohen:318");
    const pediatric = ["ped00001", "ped00700"];
    const quotedSource = ids.filter((id) => id.startsWith("nih"))[7]!;
    const accepted = [...new Set([...nih, ...cohen, scoredId])];
    expectedIds = [...accepted, "quoted01"].sort();
    const base = (id: string) => Object.fromEntries(table.header.map((h, i) => [h, table.rows.get(id)![i]!]));
    corpus = await makeCorpusSubset(table, {
      ids: [...accepted, ...demoPerson, ...pediatric],
      extra: [
        { values: { ...base(nih[0]!), id: "missing01" } },
        { values: { ...base(nih[1]!), id: "blank01", severity: "" }, image: nih[1]! },
        {
          values: { ...base(nih[2]!), id: "broken01" },
          bytes: Buffer.from("\xff\xd8\xff\xe0 not really a jpeg", "latin1"),
        },
        { values: { ...base(nih[3]!), id: "dup01" }, image: nih[3]! },
        // Quoted field with a comma, a doubled quote and a line break: a naive split would shift every column.
        {
          values: { ...base(quotedSource), id: "quoted01", notes: 'first line, "quoted"\nsecond line' },
          image: quotedSource,
        },
      ],
    });
    first = await importReferenceLibrary(t.db, corpus.dir, { model, store, includePediatric: false });
  });

  afterAll(async () => {
    await corpus?.remove();
    await rm(storeDir, { recursive: true, force: true });
    await t?.close();
  });

  it("imports every accepted film with its scan, label, vector and renditions", async () => {
    expect(first.imported).toBe(expectedIds.length);
    const labels = await t.db.referenceLabel.findMany({ include: { scan: true }, orderBy: { sourceId: "asc" } });
    expect(labels.map((l) => l.sourceId)).toEqual(expectedIds);
    for (const l of labels) {
      expect(l.scan).toMatchObject({ origin: "reference", patientId: null });
      expect(await store.exists(l.scan.storageKey)).toBe(true);
    }
    expect(await t.db.embedding.count({ where: { modelId: model.id } })).toBe(expectedIds.length);
    const byClass = { healthy: 0, infected: 0, severe: 0 };
    for (const l of labels) byClass[l.class]++;
    expect(first.byClass).toEqual(byClass);
  });

  it("copies the corpus metadata into the label", async () => {
    const table = await readCorpusTable();
    const row = table.rows.get(scoredId)!;
    const label = await t.db.referenceLabel.findFirstOrThrow({ where: { sourceId: scoredId } });
    expect(label).toMatchObject({
      source: row[table.col("source")],
      sourcePatient: row[table.col("patient_id")],
      geographicMean: Number(row[table.col("geographic_mean")]),
      class: row[table.col("severity")],
      ageGroup: "adult",
    });
  });

  it("skips rows with a reason: missing file, blank severity, invalid image, duplicate image, pediatric, demo", () => {
    const reasons = new Map(first.skipped.map((s) => [s.id, s.reason]));
    expect(reasons.get("missing01")).toBe(SKIP_REASONS.missingFile);
    expect(reasons.get("blank01")).toBe(SKIP_REASONS.blankSeverity);
    expect(reasons.get("broken01")).toBe(SKIP_REASONS.invalidImage);
    expect(reasons.get("dup01")).toBe(SKIP_REASONS.duplicateImage);
    expect(reasons.get("ped00001")).toBe(SKIP_REASONS.pediatric);
    expect(reasons.get("ped00700")).toBe(SKIP_REASONS.pediatric);
    const demo = first.skipped.filter((s) => s.reason === SKIP_REASONS.demo);
    expect(demo.length).toBe(5);
    expect(first.skipped).toHaveLength(11);
  });

  it("adds nothing when run again, and says why", async () => {
    const scans = await t.db.scan.count();
    const second = await importReferenceLibrary(t.db, corpus.dir, { model, store, includePediatric: false });
    expect(second.imported).toBe(0);
    expect(second.alreadyPresent).toBe(expectedIds.length);
    expect(second.skippedByReason).toEqual(first.skippedByReason);
    expect(await t.db.scan.count()).toBe(scans);
    expect(await t.db.embedding.count()).toBe(expectedIds.length);
  });

  it("records one reference.imported event per run, with counts", async () => {
    const events = await t.db.auditEvent.findMany({ where: { action: "reference.imported" }, orderBy: { id: "asc" } });
    expect(events).toHaveLength(2);
    expect(events[0]!.details).toMatchObject({ imported: expectedIds.length, skipped: 11, modelId: model.id });
    expect(events[1]!.details).toMatchObject({ imported: 0, alreadyPresent: expectedIds.length });
  });

  it("takes pediatric films when asked", async () => {
    const third = await importReferenceLibrary(t.db, corpus.dir, { model, store, includePediatric: true });
    expect(third.imported).toBe(2);
    expect(third.byClass.healthy + third.byClass.infected).toBe(2);
  });

  it("re-embeds scans that lack a vector of the active model, through the same pipeline, and reports one that no longer decodes", async () => {
    const scans = await t.db.scan.findMany({ where: { origin: "reference" }, orderBy: { id: "asc" }, take: 3 });
    const vectorOf = async (scanId: string) => {
      const rows = await t.db.$queryRaw<{ v: string }[]>`
        SELECT "vector"::text AS v FROM "embeddings" WHERE "scan_id" = ${scanId}::uuid AND "model_id" = ${model.id}`;
      return rows[0] ? (JSON.parse(rows[0].v) as number[]) : null;
    };
    const before = await Promise.all(scans.map((s) => vectorOf(s.id)));
    await t.db.embedding.deleteMany({ where: { scanId: { in: scans.map((s) => s.id) } } });
    const broken = scans[2]!;
    await store.blobs.put(`scans/${broken.storageKey}/original`, Buffer.from("no longer an image"));
    const total = await t.db.embedding.count();

    const summary = await reembedMissing(t.db, model, { store });

    expect(summary.embedded).toBe(2);
    expect(summary.failed.map((f) => f.scanId)).toEqual([broken.id]);
    expect(summary.failed[0]!.reason).toMatch(/JPEG, PNG or DICOM|text/i);
    expect(await t.db.embedding.count()).toBe(total + 2);
    for (const k of [0, 1]) {
      const again = (await vectorOf(scans[k]!.id))!;
      expect(cosine(Float32Array.from(again), Float32Array.from(before[k]!))).toBeGreaterThan(0.9999);
    }
    expect(await vectorOf(broken.id)).toBeNull();
    // The stored files of a backfilled scan are its own: nothing was written or removed.
    expect(await store.exists(scans[0]!.storageKey)).toBe(true);
  });
});
