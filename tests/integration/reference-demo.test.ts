// First-start seeding on a small corpus folder: the reference library, then demo patients through the upload path,
// and the rule that keeps a demo patient's films out of the library (the same selection decides both).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopJobQueue } from "@/lib/jobs/boss";
import { neighboursOfScan } from "@/lib/neighbours";
import { DEMO_BASE_DATE, seedEmbeddedDefaults, type SeedResult } from "@/lib/reference";
import { makeCorpusSubset, readCorpusTable, type CorpusSubset } from "@/tests/support/reference/corpus-subset";
import { registerModel } from "@/tests/support/reference/model";
import { acquisitionInstant } from "@/lib/scans/acquisition-date";
import type { ActiveModel } from "@/lib/scans/active-model";
import { TIMELINE_ORDER } from "@/lib/timeline/timeline";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

const DAY = 86_400_000;

describe("embedded defaults: reference library and demo patients", () => {
  let t: TestDatabase;
  let model: ActiveModel;
  let corpus: CorpusSubset;
  let dataDir: string;
  let first: SeedResult;
  const lines: string[] = [];

  beforeAll(async () => {
    // seedEmbeddedDefaults stores renditions where the server does: under RADTRACK_DATA_DIR. Set before config()
    // is first read in this file's process.
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-data-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    model = await registerModel(t.db);
    const table = await readCorpusTable();
    const ids = [...table.rows.keys()].sort();
    const person = (p: string) => ids.filter((id) => table.rows.get(id)![table.col("patient_id")] === p);
    const nih = ids.filter((id) => id.startsWith("nih")).filter((_, i) => i % 30 === 0);
    corpus = await makeCorpusSubset(table, { ids: [...nih, ...person("cohen:318"), ...person("cohen:2")] });
    first = await seedEmbeddedDefaults(t.db, corpus.dir, (line) => lines.push(line));
  });

  afterAll(async () => {
    await stopJobQueue(); // seeding asked the drift queue for a refresh
    await corpus?.remove();
    await rm(dataDir, { recursive: true, force: true });
    await t?.close();
  });

  it("imports the library without the demo persons' films", async () => {
    expect(first.reference?.imported).toBeGreaterThan(20);
    const reserved = first.reference!.skipped.filter((s) => s.reason === "reserved for a demo patient");
    expect(reserved.map((s) => s.id).sort()).toEqual([
      "coh00121",
      "coh00122",
      "coh00123",
      "coh00124",
      "coh00314",
      "coh00315",
      "coh00316",
      "coh00317",
      "coh00318",
    ]);
    expect(await t.db.referenceLabel.count({ where: { sourceId: { startsWith: "coh" } } })).toBe(0);
  });

  it("creates the demo patients, ranked, with dated scans through the upload path", async () => {
    expect(first.demo).toMatchObject({ patientsCreated: 2, scansAdded: 9, problems: [] });
    const patients = await t.db.patient.findMany({
      where: { isDemo: true },
      include: { scans: { orderBy: TIMELINE_ORDER } },
      orderBy: { name: "asc" },
    });
    expect(patients.map((p) => [p.mrn, p.name, p.sex])).toEqual([
      ["DEMO-COHEN-318", "Demo patient 1", "male"],
      ["DEMO-COHEN-2", "Demo patient 2", "male"],
    ]);
    const first318 = patients[0]!;
    // Demo films are taken at 08:00 (the next film of the same day an hour later): the day and the time are kept apart.
    const taken = first318.scans.map((s) => acquisitionInstant(s.acquiredAt!, s.acquiredTime).getTime());
    expect(taken.map((at) => (at - DEMO_BASE_DATE) / DAY)).toEqual([1, 2, 7, 12, 17]);
    expect(first318.scans.every((s) => s.acquiredTime?.toISOString() === "1970-01-01T08:00:00.000Z")).toBe(true);
    expect(first318.scans.every((s) => s.origin === "upload")).toBe(true);
    expect(await t.db.embedding.count({ where: { scanId: { in: first318.scans.map((s) => s.id) } } })).toBe(5);
    const referenceSha = new Set((await t.db.scan.findMany({ where: { origin: "reference" } })).map((s) => s.sha256));
    expect(patients.flatMap((p) => p.scans).some((s) => referenceSha.has(s.sha256))).toBe(false);
  });

  it("gives demo scans neighbours from the library only", async () => {
    const scan = await t.db.scan.findFirstOrThrow({ where: { patient: { mrn: "DEMO-COHEN-318" } } });
    const result = await neighboursOfScan(t.db, scan.id, { k: 10, model }, { actor: null, ip: null });
    expect(result.neighbours).toHaveLength(10);
    const origins = await t.db.scan.findMany({ where: { id: { in: result.neighbours.map((n) => n.scanId) } } });
    expect(origins.every((s) => s.origin === "reference")).toBe(true);
  });

  it("adds nothing when run again", async () => {
    const again = await seedEmbeddedDefaults(t.db, corpus.dir, () => {});
    expect(again.reference).toBeNull();
    expect(again.demo).toMatchObject({ patientsCreated: 0, patientsPresent: 2, scansAdded: 0, scansPresent: 9 });
    expect(await t.db.auditEvent.count({ where: { action: "reference.imported" } })).toBe(1);
    expect(await t.db.patient.count({ where: { isDemo: true } })).toBe(2);
  });

  it("does nothing without a corpus folder, and never throws", async () => {
    const lines: string[] = [];
    expect(await seedEmbeddedDefaults(t.db, undefined, (l) => lines.push(l))).toEqual({ reference: null, demo: null });
    const broken = await seedEmbeddedDefaults(t.db, path.join(dataDir, "nowhere"), (l) => lines.push(l));
    expect(broken).toEqual({ reference: null, demo: null });
    expect(lines.at(-1)).toMatch(/failed: Cannot read .*metadata\.csv/);
  });
});
