// The eval CLI's graded-severity and gate keys end to end with the shipped model: two reference folders joined
// (--reference twice), queries with two readers' scores and exam times, and an OOD folder with a CT slice, a lateral
// film and a synthetic screenshot. The keys are those the severity issue names; the values are checked for what
// must hold whatever the model (ranges, counts, the readers' own agreement computed by hand).
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeNonRadiograph } from "@/models/training/non_radiographs";
import { runEvaluation } from "./run";

const SHARED = path.resolve(process.env.RADTRACK_SHARED_DIR ?? "../shared");
const HEADER =
  "id,source,patient_id,offset_days,severity,geographic_mean,opacity_mean,age_group,reader1_geographic,reader2_geographic,exam_datetime";
const env = { ...process.env, EMBED_PROVIDER: "cpu", EMBED_THREADS: "1" };
let tmp: string;

interface Film {
  id: string;
  from: string;
  patient: string;
  r1: number;
  r2: number;
  at: string;
}

async function folder(name: string, films: Film[]): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const f of films) await copyFile(path.join(SHARED, "data/ralo", `${f.from}.jpg`), path.join(dir, `${f.id}.jpg`));
  const rows = films.map((f) => {
    const mean = (f.r1 + f.r2) / 2;
    return `${f.id},ralo,${f.patient},,${mean >= 5 ? "severe" : "infected"},${mean},,adult,${f.r1},${f.r2},${f.at}`;
  });
  await writeFile(path.join(dir, "metadata.csv"), [HEADER, ...rows].join("\n") + "\n");
  return dir;
}

let refA: string;
let refB: string;
let queries: string;
let ood: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "radtrack-eval-graded-"));
  refA = await folder("refA", [
    { id: "a1", from: "ral00001", patient: "p:a1", r1: 5, r2: 7, at: "2020-02-01T13:45:48" },
    { id: "a2", from: "ral00010", patient: "p:a2", r1: 2, r2: 3, at: "2020-02-01T10:00:00" },
  ]);
  refB = await folder("refB", [
    { id: "b1", from: "ral00020", patient: "p:b1", r1: 1, r2: 1, at: "2020-02-01T10:00:00" },
    { id: "b2", from: "ral00030", patient: "p:b2", r1: 8, r2: 7, at: "2020-02-01T10:00:00" },
  ]);
  // One query patient with three films: 2 -> 4 -> 6.5 by the readers (two pairs of a point or more).
  queries = await folder("queries", [
    { id: "q1", from: "ral00040", patient: "p:q", r1: 2, r2: 2, at: "2020-03-01T08:00:00" },
    { id: "q2", from: "ral00041", patient: "p:q", r1: 4, r2: 4, at: "2020-03-02T08:00:00" },
    { id: "q3", from: "ral00042", patient: "p:q", r1: 6, r2: 7, at: "2020-03-03T08:00:00" },
  ]);
  ood = path.join(tmp, "ood");
  await mkdir(ood, { recursive: true });
  await copyFile(path.join(SHARED, "data/ood/dev00001.jpg"), path.join(ood, "ct.jpg"));
  await copyFile(path.join(SHARED, "data/ood/dev00030.png"), path.join(ood, "lateral.png"));
  await writeFile(path.join(ood, "screen.png"), await makeNonRadiograph("screenshot", 777));
  await writeFile(
    path.join(ood, "metadata.csv"),
    "id,file,kind\nct,ct.jpg,ct\nlat,lateral.png,lateral\nscr,screen.png,screenshot\n",
  );
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("runEvaluation: graded severity, direction of change, readers and the gate", () => {
  it("reports every named key from two joined reference folders and an OOD folder", async () => {
    const r = await runEvaluation({
      modelDir: "models/radtrack_cxr_v3",
      referenceDir: [refA, refB],
      queriesDir: queries,
      oodDir: ood,
      k: 3,
      env,
    });
    expect(r.reference.images).toBe(4);
    const e = r.severity.extent;
    expect(e.films).toBe(3);
    for (const v of [e.pearson, e.spearman]) expect(v).toBeGreaterThanOrEqual(-1);
    expect(e.mae).toBeGreaterThanOrEqual(0);
    expect(e.mae).toBeLessThanOrEqual(8);
    expect(e.ci95).toHaveProperty("pearson");
    expect(r.severity.neighbours.films).toBe(3);
    expect(r.severity).toHaveProperty("neighbours.pearson");
    expect(r.drift.pairs).toBe(2);
    expect([0, 0.5, 1]).toContain(r.drift.directionAgreement);
    expect(r.drift).toHaveProperty("deltaSpearman");
    // Readers by hand: |2-2|, |4-4|, |6-7| -> MAE 1/3.
    expect(r.readers.mae).toBeCloseTo(1 / 3, 6);
    expect(r.readers.pearson).toBeGreaterThan(0.9);
    expect(r.ood?.byKind).toEqual({ ct: 1, lateral: 1, screenshot: 1 });
    expect(r.ood?.refused).toBe(1);
    expect(r.ood?.frontalRefused).toBe(0);
    // Purity keys stay.
    expect(r.purity).toHaveProperty("healthy");
  });
});
