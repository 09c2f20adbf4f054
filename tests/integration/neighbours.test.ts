// Neighbours on the real adult reference library (real X-rays, real embeddings, real database): the exclusion
// rules, filtered queries through the per-class HNSW indexes, the class copied onto embeddings following its label,
// and recall of the indexes against exact search.
//
// The library is the whole adult corpus (~1,300 films, about a minute to embed on 2 cores). Set
// RADTRACK_TEST_LIBRARY_SIZE=<n> to import an evenly spread subset of n films instead (faster, weaker recall check).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PublicActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import {
  embeddingOf,
  exactNearestReferences,
  explainNearestReferences,
  findModelIndexes,
  insertEmbeddings,
  insertEmbeddingsBinary,
  nearestReferences,
  referenceVectors,
  type NeighbourQuery,
} from "@/lib/db/vector-sql";
import { REFERENCE_CLASSES, type ReferenceClass } from "@/lib/domain";
import { neighboursOfScan, ScanNotFoundError, thumbnailUrl } from "@/lib/neighbours";
import { importReferenceLibrary, type ImportSummary } from "@/lib/reference";
import {
  makeCorpusSubset,
  readCorpusTable,
  realCorpusDir,
  type CorpusSubset,
} from "@/tests/support/reference/corpus-subset";
import { registerModel } from "@/tests/support/reference/model";
import type { ActiveModel } from "@/lib/scans/active-model";
import { ingestScan } from "@/lib/scans/ingest";
import { ScanStore } from "@/lib/storage/scan-store";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

const K = 36;
const ctx: PublicActionContext = { actor: null, ip: "198.51.100.7" };

describe("neighbours", () => {
  let t: TestDatabase;
  let model: ActiveModel;
  let store: ScanStore;
  let storeDir: string;
  let subset: CorpusSubset | undefined;
  let corpusDir: string;
  let imported: ImportSummary;
  /** Reference scans: id -> corpus id. */
  let sourceIdOf: Map<string, string>;

  const query = (vector: Float32Array, extra: Partial<NeighbourQuery> = {}): NeighbourQuery => ({
    modelId: model.id,
    dims: model.dims,
    vector,
    k: K,
    ...extra,
  });
  const vectorOf = async (scanId: string) => (await embeddingOf(t.db, scanId, model.id))!;
  const bytesOf = (scanId: string) => readFile(path.join(corpusDir, `${sourceIdOf.get(scanId)}.jpg`));

  beforeAll(async () => {
    t = await createTestDatabase();
    model = await registerModel(t.db);
    storeDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-store-"));
    store = ScanStore.forDataDir(storeDir);
    const size = Number(process.env.RADTRACK_TEST_LIBRARY_SIZE ?? 0);
    corpusDir = realCorpusDir();
    if (size > 0) {
      const table = await readCorpusTable();
      const adult = [...table.rows.keys()].filter((id) => table.rows.get(id)![table.col("age_group")] !== "pediatric");
      const step = Math.max(1, adult.length / size);
      subset = await makeCorpusSubset(table, {
        ids: Array.from({ length: Math.min(size, adult.length) }, (_, i) => adult[Math.floor(i * step)]!),
      });
      corpusDir = subset.dir;
    }
    const started = performance.now();
    imported = await importReferenceLibrary(t.db, corpusDir, { model, store, includePediatric: false });
    console.log(
      `neighbours test: ${imported.imported} reference films imported on ${t.kind} in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s (index dropped: ${imported.index.dropped})`,
    );
    const labels = await t.db.referenceLabel.findMany({ select: { scanId: true, sourceId: true } });
    sourceIdOf = new Map(labels.map((l) => [l.scanId, l.sourceId]));
  }, 900_000);

  afterAll(async () => {
    await subset?.remove();
    await rm(storeDir, { recursive: true, force: true });
    await t?.close();
  });

  it("finds a reference film's own vector first in a raw search (distance ~ 0)", async () => {
    const [refId] = [...sourceIdOf.keys()].sort();
    const rows = await nearestReferences(t.db, query(await vectorOf(refId!), { plan: "index" }));
    expect(rows[0]!.scanId).toBe(refId);
    expect(rows[0]!.distance).toBeLessThan(1e-5);
    expect(rows).toHaveLength(K);
  });

  describe("for a patient", () => {
    let patientId: string;
    let scanId: string;
    let sameAsRef: string;
    let secondRef: string;

    beforeAll(async () => {
      // A film that is also in the reference library (same bytes), and the library film closest to it.
      sameAsRef = [...sourceIdOf.keys()].sort()[5]!;
      const around = await nearestReferences(t.db, query(await vectorOf(sameAsRef), { excludeScanIds: [sameAsRef] }));
      secondRef = around[0]!.scanId;
      const patient = await t.db.patient.create({ data: { mrn: "NB-1", name: "Neighbour Test", sex: "female" } });
      patientId = patient.id;
      const first = await ingestScan(
        t.db,
        { patientId, bytes: await bytesOf(sameAsRef), origin: "upload" },
        ctx,
        store,
      );
      scanId = first.scanId;
    });

    it("excludes the reference copy of the patient's own film", async () => {
      const result = await neighboursOfScan(t.db, scanId, { k: K, model }, ctx);
      expect(result.modelId).toBe(model.id);
      expect(result.neighbours).toHaveLength(K);
      const ids = result.neighbours.map((n) => n.scanId);
      expect(ids).not.toContain(sameAsRef);
      expect(ids).not.toContain(scanId);
      // Without the rule the copy would have come first: same image, same vector.
      const raw = await nearestReferences(t.db, query(await vectorOf(scanId)));
      expect(raw[0]!.scanId).toBe(sameAsRef);
    });

    it("never counts the patient's other films, even when they are the closest references", async () => {
      await ingestScan(t.db, { patientId, bytes: await bytesOf(secondRef), origin: "upload" }, ctx, store);
      const result = await neighboursOfScan(t.db, scanId, { model }, ctx);
      const ids = result.neighbours.map((n) => n.scanId);
      expect(ids).toHaveLength(K);
      expect(ids).not.toContain(secondRef);
      const own = await t.db.scan.findMany({ where: { patientId }, select: { id: true, sha256: true } });
      const neighbourSha = await t.db.scan.findMany({ where: { id: { in: ids } }, select: { sha256: true } });
      expect(neighbourSha.some((s) => own.some((o) => o.sha256 === s.sha256))).toBe(false);
      expect(own.some((o) => ids.includes(o.id))).toBe(false);
    });

    it("returns similarities in order, thumbnail URLs and the class mix, and records neighbours.viewed", async () => {
      const before = await t.db.auditEvent.count({ where: { action: "neighbours.viewed" } });
      const result = await neighboursOfScan(t.db, scanId, { k: 10 }, ctx);
      const sims = result.neighbours.map((n) => n.similarity);
      expect([...sims].sort((a, b) => b - a)).toEqual(sims);
      expect(sims.every((s) => s > 0 && s <= 1)).toBe(true);
      expect(result.neighbours[0]!.thumbnailUrl).toBe(thumbnailUrl(result.neighbours[0]!.scanId));
      expect(thumbnailUrl("abc")).toBe("/api/v1/scans/abc/thumbnail");
      const { healthy, infected, severe } = result.mix;
      expect(healthy + infected + severe).toBe(10);
      expect(await t.db.auditEvent.count({ where: { action: "neighbours.viewed" } })).toBe(before + 1);
      const event = await t.db.auditEvent.findFirstOrThrow({
        where: { action: "neighbours.viewed" },
        orderBy: { id: "desc" },
      });
      expect(event).toMatchObject({ targetType: "scan", targetId: scanId, patientId, ip: "198.51.100.7" });
      expect(event.details).toMatchObject({ k: 10, returned: 10, modelId: model.id });
    });

    it("keeps a class filter to that class, without the scan itself or the patient's films", async () => {
      // The class of the reference copy of this patient's film: unfiltered or filtered, that copy is the closest.
      const cls = (await t.db.referenceLabel.findUniqueOrThrow({ where: { scanId: sameAsRef } })).class;
      const result = await neighboursOfScan(t.db, scanId, { classes: [cls], model }, ctx);
      const ids = result.neighbours.map((n) => n.scanId);
      expect(ids).toHaveLength(K);
      expect(result.neighbours.every((n) => n.class === cls)).toBe(true);
      expect(ids).not.toContain(scanId);
      expect(ids).not.toContain(sameAsRef);
      expect(ids).not.toContain(secondRef);
      const own = await t.db.scan.findMany({ where: { patientId }, select: { id: true, sha256: true } });
      const neighbourSha = await t.db.scan.findMany({ where: { id: { in: ids } }, select: { sha256: true } });
      expect(neighbourSha.some((s) => own.some((o) => o.sha256 === s.sha256))).toBe(false);
      // Without the exclusions the copy leads the filtered list too, so the rule is what removed it.
      const raw = await nearestReferences(t.db, query(await vectorOf(scanId), { classes: [cls], plan: "index" }));
      expect(raw[0]!.scanId).toBe(sameAsRef);
    });

    it("ignores other patients' scans and vectors of other models", async () => {
      // Another patient holds a film identical to this patient's: patient scans are never neighbours.
      const other = await t.db.patient.create({ data: { mrn: "NB-2", name: "Other", sex: "male" } });
      const copy = await ingestScan(
        t.db,
        { patientId: other.id, bytes: await bytesOf(sameAsRef), origin: "upload" },
        ctx,
        store,
      );
      // A reference film whose only vector belongs to another model, placed exactly on the query.
      await t.db.model.create({ data: { id: "test-other@1", sha256: "0".repeat(64), dims: model.dims, card: {} } });
      const stray = await t.db.scan.create({
        data: { sha256: "f".repeat(64), storageKey: `ff/${"f".repeat(64)}`, width: 1, height: 1, origin: "reference" },
      });
      await t.db.referenceLabel.create({
        data: { scanId: stray.id, class: "severe", source: "test", sourceId: "stray" },
      });
      await insertEmbeddings(t.db, { id: "test-other@1", dims: model.dims }, [
        { scanId: stray.id, vector: await vectorOf(scanId) },
      ]);
      const ids = (await neighboursOfScan(t.db, scanId, { model }, ctx)).neighbours.map((n) => n.scanId);
      expect(ids).not.toContain(copy.scanId);
      expect(ids).not.toContain(stray.id);
      expect(ids.every((id) => sourceIdOf.has(id))).toBe(true);
    });
  });

  it("never lists a reference scan among its own neighbours", async () => {
    const refId = [...sourceIdOf.keys()].sort()[9]!;
    const result = await neighboursOfScan(t.db, refId, { model }, ctx);
    expect(result.neighbours).toHaveLength(K);
    expect(result.neighbours.map((n) => n.scanId)).not.toContain(refId);
  });

  it("gives each neighbour its reciprocal percentile: the share of the library farther from it than the scan", async () => {
    const refId = [...sourceIdOf.keys()].sort()[21]!;
    const result = await neighboursOfScan(t.db, refId, { k: 8, model }, ctx);
    const library = await referenceVectors(t.db, model.id);
    const q = await vectorOf(refId);
    const cosine = (a: Float32Array, b: Float32Array) => {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < a.length; i++) {
        dot += a[i]! * b[i]!;
        na += a[i]! * a[i]!;
        nb += b[i]! * b[i]!;
      }
      return 1 - dot / Math.sqrt(na * nb);
    };
    for (const n of result.neighbours) {
      const v = await vectorOf(n.scanId);
      const dq = cosine(v, q);
      const others = library.filter((r) => r.scanId !== n.scanId && r.scanId !== refId);
      const farther = others.filter((r) => cosine(v, r.vector) > dq + 1e-6).length;
      const fartherOrTied = others.filter((r) => cosine(v, r.vector) > dq - 1e-6).length;
      // Float32 in JavaScript against pgvector's own sums: ties within 1e-6 may fall either way.
      expect(n.percentile! * others.length).toBeGreaterThanOrEqual(farther);
      expect(n.percentile! * others.length).toBeLessThanOrEqual(fartherOrTied);
      expect(n.percentile).toBeGreaterThan(0);
      expect(n.percentile).toBeLessThanOrEqual(1);
    }
  });

  it("keeps k rows for a class filter, through the index, on this database's pgvector", async () => {
    const severe = await t.db.referenceLabel.count({ where: { class: "severe" } });
    expect(severe).toBeGreaterThanOrEqual(K);
    // A healthy film: its nearest films are mostly healthy, so the first ef_search (40) candidates of the graph hold
    // few or no severe ones (pgvector 0.8 without iterative scan returns 0 rows here). The iterative scan must keep
    // walking the graph until it has k.
    const healthy = await t.db.referenceLabel.findFirstOrThrow({
      where: { class: "healthy" },
      orderBy: { scanId: "asc" },
    });
    const refId = healthy.scanId;
    const vector = await vectorOf(refId);
    const q = query(vector, { classes: ["severe"], plan: "index", efSearch: 40 });
    const plan = (await explainNearestReferences(t.db, q)).join("\n");
    const { byClass } = await findModelIndexes(t.db, model.id);
    expect(plan).toContain(`Index Scan using ${byClass.severe!.name}`);
    const rows = await nearestReferences(t.db, q);
    expect(rows).toHaveLength(K);
    expect(rows.every((r) => r.class === "severe")).toBe(true);
    expect(rows.map((r) => r.distance)).toEqual([...rows.map((r) => r.distance)].sort((a, b) => a - b));
    const result = await neighboursOfScan(t.db, refId, { classes: ["severe"], model }, ctx);
    expect(result.neighbours).toHaveLength(K);
    expect(result.mix).toEqual({ healthy: 0, infected: 0, severe: K });
  });

  it("walks each class's own index for a class filter", async () => {
    const { all, byClass } = await findModelIndexes(t.db, model.id);
    expect(all).not.toBeNull();
    expect(Object.keys(byClass).sort()).toEqual([...REFERENCE_CLASSES].sort());
    const vector = await vectorOf([...sourceIdOf.keys()].sort()[3]!);
    // One class: its index only. Two classes: one walk per class, merged. (Plan "index": on a library this small the
    // planner may rightly prefer reading a class through the btree and sorting it.)
    const severe = (await explainNearestReferences(t.db, query(vector, { classes: ["severe"], plan: "index" }))).join(
      "\n",
    );
    expect(severe).toContain(`using ${byClass.severe!.name} on`);
    expect(severe).not.toContain(`using ${all!.name} on`);
    const twoClasses = query(vector, { classes: ["infected", "severe"], plan: "index" });
    const two = (await explainNearestReferences(t.db, twoClasses)).join("\n");
    expect(two).toContain(`using ${byClass.infected!.name} on`);
    expect(two).toContain(`using ${byClass.severe!.name} on`);
    expect(two).not.toContain(`using ${byClass.healthy!.name} on`);
    const rows = await nearestReferences(t.db, twoClasses);
    expect(rows).toHaveLength(K);
    expect(rows.every((r) => r.class === "infected" || r.class === "severe")).toBe(true);
    expect(rows.map((r) => r.distance)).toEqual([...rows.map((r) => r.distance)].sort((a, b) => a - b));
  });

  it("moves a vector between class indexes when its label changes, and out of searches when it goes", async () => {
    const refId = [...sourceIdOf.keys()].sort()[11]!;
    const label = await t.db.referenceLabel.findUniqueOrThrow({ where: { scanId: refId } });
    const other: ReferenceClass = label.class === "severe" ? "healthy" : "severe";
    const vector = await vectorOf(refId);
    const classOnEmbeddings = async () =>
      (await t.db.embedding.findMany({ where: { scanId: refId }, select: { referenceClass: true } })).map(
        (e) => e.referenceClass,
      );
    const firstOf = async (cls: ReferenceClass) =>
      (await nearestReferences(t.db, query(vector, { classes: [cls], plan: "index" })))[0];
    expect(await classOnEmbeddings()).toEqual([label.class]);
    expect((await firstOf(label.class))!.scanId).toBe(refId);
    expect((await firstOf(other))!.scanId).not.toBe(refId);
    try {
      // An admin relabels the film (what a reference-library screen does: an update of its label row).
      await t.db.referenceLabel.update({ where: { scanId: refId }, data: { class: other } });
      expect(await classOnEmbeddings()).toEqual([other]);
      const moved = (await firstOf(other))!;
      expect(moved).toMatchObject({ scanId: refId, class: other });
      expect(moved.distance).toBeLessThan(1e-5);
      expect((await firstOf(label.class))!.scanId).not.toBe(refId);
      // A writer cannot set the copy apart from the label.
      await t.db.embedding.updateMany({ where: { scanId: refId }, data: { referenceClass: label.class } });
      expect(await classOnEmbeddings()).toEqual([other]);
      // Removed from the library: no longer a reference vector in any search.
      await t.db.referenceLabel.delete({ where: { scanId: refId } });
      expect(await classOnEmbeddings()).toEqual([null]);
      for (const classes of [undefined, [other], [label.class]]) {
        const ids = (await nearestReferences(t.db, query(vector, { classes, plan: "index" }))).map((r) => r.scanId);
        expect(ids).toHaveLength(K);
        expect(ids).not.toContain(refId);
      }
    } finally {
      await t.db.referenceLabel.upsert({
        where: { scanId: refId },
        create: { ...label },
        update: { class: label.class },
      });
    }
    expect(await classOnEmbeddings()).toEqual([label.class]);
    expect((await firstOf(label.class))!.scanId).toBe(refId);
  });

  it("gives a vector stored after its label the label's class, and a patient's film none", async () => {
    const refs = await t.db.embedding.groupBy({ by: ["referenceClass"], where: { modelId: model.id }, _count: true });
    const labels = await t.db.referenceLabel.groupBy({
      by: ["class"],
      where: { scan: { embeddings: { some: { modelId: model.id } } } },
      _count: true,
    });
    for (const cls of REFERENCE_CLASSES) {
      const onEmbeddings = refs.find((r) => r.referenceClass === cls)?._count ?? 0;
      expect(onEmbeddings).toBe(labels.find((l) => l.class === cls)?._count ?? -1);
    }
    const patientVectors = await t.db.embedding.findMany({
      where: { modelId: model.id, scan: { patientId: { not: null } } },
      select: { referenceClass: true },
    });
    expect(patientVectors.length).toBeGreaterThan(0);
    expect(patientVectors.every((e) => e.referenceClass === null)).toBe(true);
  });

  it("has an exact search that uses no index", async () => {
    const vector = await vectorOf([...sourceIdOf.keys()][0]!);
    const plan = (await explainNearestReferences(t.db, query(vector), true)).join("\n");
    expect(plan).not.toMatch(/hnsw/);
    expect(await exactNearestReferences(t.db, query(vector))).toHaveLength(K);
  });

  it(`reaches recall@${K} >= 0.98 against exact search`, async () => {
    const refs = await referenceVectors(t.db, model.id);
    const queries = refs.filter((_, i) => i % 10 === 0);
    let hits = 0;
    let total = 0;
    for (const r of queries) {
      const q = query(r.vector, { excludeScanIds: [r.scanId], plan: "index" });
      const exact = new Set((await exactNearestReferences(t.db, q)).map((n) => n.scanId));
      const approx = await nearestReferences(t.db, q);
      hits += approx.filter((n) => exact.has(n.scanId)).length;
      total += exact.size;
    }
    const recall = hits / total;
    console.log(
      `recall@${K} over ${queries.length} queries on ${refs.length} vectors (${t.kind}): ${recall.toFixed(4)}`,
    );
    expect(recall).toBeGreaterThanOrEqual(0.98);
  });

  it(`reaches recall@${K} >= 0.98 against exact search for each class filter, with ${K} rows`, async () => {
    const refs = await referenceVectors(t.db, model.id);
    const queries = refs.filter((_, i) => i % 20 === 0);
    for (const cls of REFERENCE_CLASSES) {
      let hits = 0;
      let total = 0;
      for (const r of queries) {
        // Through the class index (plan "index"), from films of every class: most queries sit far from this class.
        const q = query(r.vector, { excludeScanIds: [r.scanId], classes: [cls], plan: "index" });
        const exact = new Set((await exactNearestReferences(t.db, q)).map((n) => n.scanId));
        const approx = await nearestReferences(t.db, q);
        expect(approx).toHaveLength(K);
        expect(approx.every((n) => n.class === cls)).toBe(true);
        hits += approx.filter((n) => exact.has(n.scanId)).length;
        total += exact.size;
      }
      const recall = hits / total;
      console.log(`recall@${K} of "${cls} only" over ${queries.length} queries (${t.kind}): ${recall.toFixed(4)}`);
      expect(recall).toBeGreaterThanOrEqual(0.98);
    }
  });

  it("stores vectors exactly through both the text and the binary bulk path", async () => {
    const dims = 8;
    await t.db.model.create({ data: { id: "test-roundtrip@1", sha256: "1".repeat(64), dims, card: {} } });
    const scans = await Promise.all(
      ["a", "b"].map((c) =>
        t.db.scan.create({
          data: { sha256: c.repeat(64), storageKey: `${c}${c}/${c.repeat(64)}`, width: 1, height: 1, origin: "upload" },
        }),
      ),
    );
    // Awkward float32 values: tiny, negative, long decimal expansions.
    const v = (seed: number) =>
      Float32Array.from({ length: dims }, (_, i) => Math.fround(Math.sin(seed + i) / (i + 1) ** 4));
    const model = { id: "test-roundtrip@1", dims };
    await insertEmbeddings(t.db, model, [{ scanId: scans[0]!.id, vector: v(1) }]);
    const pool = new pg.Pool({ connectionString: t.url, max: 1 });
    try {
      expect(await insertEmbeddingsBinary(pool, model, [{ scanId: scans[1]!.id, vector: v(2) }])).toBe(1);
    } finally {
      await pool.end();
    }
    expect(await embeddingOf(t.db, scans[0]!.id, model.id)).toEqual(v(1));
    expect(await embeddingOf(t.db, scans[1]!.id, model.id)).toEqual(v(2));
    await expect(
      insertEmbeddings(t.db, model, [{ scanId: scans[0]!.id, vector: new Float32Array(3) }]),
    ).rejects.toThrow(/3 dimensions/);
  });

  it("refuses bad options and unknown scans with messages for the user", async () => {
    const refId = [...sourceIdOf.keys()][0]!;
    for (const k of [0, 201, 2.5]) {
      await expect(neighboursOfScan(t.db, refId, { k, model }, ctx)).rejects.toBeInstanceOf(UserFacingError);
    }
    await expect(neighboursOfScan(t.db, refId, { classes: [], model }, ctx)).rejects.toBeInstanceOf(UserFacingError);
    await expect(neighboursOfScan(t.db, "not-a-uuid", { model }, ctx)).rejects.toBeInstanceOf(ScanNotFoundError);
    await expect(neighboursOfScan(t.db, "00000000-0000-4000-8000-000000000000", { model }, ctx)).rejects.toBeInstanceOf(
      ScanNotFoundError,
    );
    expect((await neighboursOfScan(t.db, refId, { k: 200, model }, ctx)).neighbours).toHaveLength(200);
  });
});
