// The drift of every patient is recomputed in the background, through the real job queue (pg-boss), when what it
// depends on changes: the reference library, the patients' scans. Stored values always name their model and library
// state, and a burst of requests costs one run.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stopJobQueue } from "@/lib/jobs/boss";
import { importReferenceLibrary, seedEmbeddedDefaults } from "@/lib/reference";
import {
  makeCorpusSubset,
  readCorpusTable,
  realCorpusDir,
  type CorpusSubset,
} from "@/tests/support/reference/corpus-subset";
import { registerModel } from "@/tests/support/reference/model";
import type { ActiveModel } from "@/lib/scans/active-model";
import { ingestScan } from "@/lib/scans/ingest";
import { requestDriftRefresh, startDriftWorker, stopDriftWorker } from "@/lib/timeline/drift-queue";
import { libraryStamp } from "@/lib/timeline/library-stamp";
import { countStaleSummaries } from "@/lib/timeline/staleness";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("drift recomputation in the background", () => {
  let t: TestDatabase;
  let model: ActiveModel;
  let dataDir: string;
  let first: CorpusSubset;
  let second: CorpusSubset;
  let patientId: string;
  let spare: string;
  const lines: string[] = [];

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-data-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    model = await registerModel(t.db);
    const table = await readCorpusTable();
    const ids = [...table.rows.keys()].sort();
    const person = (p: string) => ids.filter((id) => table.rows.get(id)![table.col("patient_id")] === p);
    const adult = (id: string) => table.rows.get(id)![table.col("age_group")] === "adult";
    const adultNih = ids.filter((id) => id.startsWith("nih") && adult(id));
    const nih = adultNih.filter((_, i) => i % 12 === 0);
    const coh = ids.filter((id) => id.startsWith("coh") && adult(id));
    first = await makeCorpusSubset(table, { ids: [...nih, ...coh.slice(0, 12), ...person("cohen:318")] });
    second = await makeCorpusSubset(table, { ids: adultNih.filter((_, i) => i % 12 === 6).slice(0, 16) });
    spare = adultNih.find((_, i) => i % 12 === 3)!;
    // Library and a demo patient with dated scans, which asks for a refresh; no worker runs yet.
    const seeded = await seedEmbeddedDefaults(t.db, first.dir, (line) => lines.push(line));
    expect(seeded.demo?.scansAdded).toBeGreaterThanOrEqual(2);
    patientId = (await t.db.patient.findFirstOrThrow({ where: { isDemo: true } })).id;
  });

  afterAll(async () => {
    await stopDriftWorker();
    await stopJobQueue();
    await first?.remove();
    await second?.remove();
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("holds at most one waiting run however many changes ask for one", async () => {
    // seedEmbeddedDefaults has queued one already.
    expect(await requestDriftRefresh("test: again")).toBe(false);
    expect(await requestDriftRefresh("test: and again")).toBe(false);
    expect(await countStaleSummaries(t.db)).toBe(await t.db.patient.count());
  });

  it("the worker brings the patient's summary to the current model and library", async () => {
    await startDriftWorker({ db: t.db, pollingIntervalSeconds: 0.5, log: (l) => lines.push(l) });
    await until("the first refresh", async () => (await countStaleSummaries(t.db)) === 0);
    const stamp = await libraryStamp(t.db);
    const summary = await t.db.patientSummary.findUniqueOrThrow({ where: { patientId } });
    const scans = await t.db.scan.count({ where: { patientId } });
    expect(summary).toMatchObject({ modelId: model.id, libraryStamp: stamp, scanCount: scans });
    const assessments = await t.db.scanAssessment.findMany({ where: { scan: { patientId } } });
    expect(assessments).toHaveLength(scans);
    for (const a of assessments) expect(a).toMatchObject({ modelId: model.id, libraryStamp: stamp, k: 36 });
  });

  it("recomputes every value after a reference import changed the library", async () => {
    const before = await t.db.patientSummary.findUniqueOrThrow({ where: { patientId } });
    const imported = await importReferenceLibrary(t.db, second.dir, { model });
    expect(imported.imported).toBeGreaterThan(10);
    const stamp = await libraryStamp(t.db);
    expect(stamp).not.toBe(before.libraryStamp);
    expect(await countStaleSummaries(t.db)).toBe(await t.db.patient.count());
    expect(await requestDriftRefresh("test: reference import")).toBe(true);
    await until("the refresh after the import", async () => (await countStaleSummaries(t.db)) === 0);
    const after = await t.db.patientSummary.findUniqueOrThrow({ where: { patientId } });
    expect(after.libraryStamp).toBe(stamp);
    expect(after.computedAt.getTime()).toBeGreaterThan(before.computedAt.getTime());
    const stale = await t.db.scanAssessment.count({ where: { scan: { patientId }, libraryStamp: { not: stamp } } });
    expect(stale).toBe(0);
  });

  it("picks up a scan added without a timeline view (API or bulk upload)", async () => {
    const before = await t.db.patientSummary.findUniqueOrThrow({ where: { patientId } });
    // The newest film: today (a later date would break the acquisition date rule).
    const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
    await ingestScan(
      t.db,
      {
        patientId,
        bytes: await readFile(path.join(realCorpusDir(), `${spare}.jpg`)),
        origin: "upload",
        acquiredAt: today,
      },
      { actor: null, ip: null },
    );
    expect(await countStaleSummaries(t.db)).toBe(1);
    expect(await requestDriftRefresh("test: new scan")).toBe(true);
    await until("the refresh after the upload", async () => (await countStaleSummaries(t.db)) === 0);
    const after = await t.db.patientSummary.findUniqueOrThrow({ where: { patientId } });
    expect(after.scanCount).toBe(before.scanCount + 1);
    expect(after.lastScanAt?.toISOString()).toBe(today.toISOString());
  });
});
