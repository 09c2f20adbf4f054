// The occlusion heatmap on the real model and a real (small) reference library: computed on request and kept with
// its numbers, reused while model and library stay the same, and true to what it claims: covering the hottest cell
// moves the scan's severity index more than covering the coldest.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureHeatmap, HEATMAP_GRID } from "@/lib/explain/heatmap";
import { hottestAndColdest, meanGrey, occlude, workingCopy } from "@/lib/explain/occlusion";
import { explainedScore } from "@/lib/explain/score";
import { decodeScan } from "@/lib/image";
import { importReferenceLibrary } from "@/lib/reference";
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

describe("occlusion heatmap", () => {
  let t: TestDatabase;
  let model: ActiveModel;
  let store: ScanStore;
  let storeDir: string;
  let subset: CorpusSubset;
  let scanId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    model = await registerModel(t.db);
    storeDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-heatmap-"));
    store = ScanStore.forDataDir(storeDir);
    const table = await readCorpusTable();
    const [sev, age] = [table.col("severity"), table.col("age_group")];
    const ids = [...table.rows.keys()].sort();
    const pick = (cls: string) =>
      ids.filter((id) => table.rows.get(id)![sev] === cls && table.rows.get(id)![age] === "adult");
    // 20 films of each class, and one severe film kept out of the library as the patient's scan.
    const severe = pick("severe");
    subset = await makeCorpusSubset(table, {
      ids: [...pick("healthy").slice(0, 20), ...pick("infected").slice(0, 20), ...severe.slice(0, 20)],
    });
    await importReferenceLibrary(t.db, subset.dir, { model, store });
    const patient = await t.db.patient.create({ data: { mrn: "HEAT-1", name: "Heat Map", sex: "U" } });
    const bytes = await readFile(path.join(realCorpusDir(), `${severe[25]!}.jpg`));
    scanId = (
      await ingestScan(t.db, { patientId: patient.id, bytes, origin: "upload" }, { actor: null, ip: null }, store)
    ).scanId;
  }, 600_000);

  afterAll(async () => {
    await subset?.remove();
    await t?.close();
    await rm(storeDir, { recursive: true, force: true });
  });

  it("is computed on request, kept with its numbers, and reused while model and library stay the same", async () => {
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: scanId } });
    const record = await ensureHeatmap(t.db, store, scan);
    expect(record.deltas).toHaveLength(HEATMAP_GRID * HEATMAP_GRID);
    expect(record.modelId).toBe(model.id);
    const png = await sharp(await store.read(scan.storageKey, "heatmap.png")).metadata();
    expect(png.format).toBe("png");
    const again = await ensureHeatmap(t.db, store, scan);
    expect(again.computedAt).toBe(record.computedAt);
  }, 600_000);

  it("covering the hottest cell moves the score more than covering the coldest", async () => {
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: scanId } });
    const record = await ensureHeatmap(t.db, store, scan);
    const { hottest, coldest } = hottestAndColdest(record);
    // Recomputed here from the stored original, not read back from the map.
    const copy = await workingCopy(await decodeScan(await store.readOriginal(scan.storageKey)));
    const fill = meanGrey(copy);
    const { score } = await explainedScore(t.db, scan, model);
    const [base, hot, cold] = await score([
      copy,
      occlude(copy, HEATMAP_GRID, hottest, fill),
      occlude(copy, HEATMAP_GRID, coldest, fill),
    ]);
    expect(Math.abs(hot! - base!)).toBeGreaterThan(Math.abs(cold! - base!));
    expect(Math.abs(hot! - base!)).toBeGreaterThan(0);
  }, 600_000);
});
