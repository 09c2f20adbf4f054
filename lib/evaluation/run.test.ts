// The eval CLI end to end on a tiny fixture folder made at test time: a few corpus images copied to a temp dir with a
// hand-written metadata.csv. With k = the whole reference set, purity and the confusion do not depend on the model,
// so the numbers are known by hand; the leakage guard must refuse a split that shares a patient or a picture.
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusFiles } from "@/lib/embedding/dev-corpus";
import { LeakageError, runEvaluation } from "./run";

const HEADER = "id,source,patient_id,offset_days,severity,geographic_mean,opacity_mean,notes,age_group";
const env = { ...process.env, EMBED_PROVIDER: "cpu", EMBED_THREADS: "1" };
let tmp: string;
let files: string[];

async function folder(name: string, rows: { id: string; from: number; csv: string }[]): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const r of rows) await copyFile(files[r.from]!, path.join(dir, `${r.id}.jpg`));
  await writeFile(path.join(dir, "metadata.csv"), [HEADER, ...rows.map((r) => `${r.id},${r.csv}`)].join("\n") + "\n");
  return dir;
}

let reference: string;
let queries: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "radtrack-eval-"));
  files = await corpusFiles(8);
  reference = await folder("reference", [
    { id: "r1", from: 0, csv: "A,a:1,,healthy,,,,adult" },
    { id: "r2", from: 2, csv: "A,a:2,,healthy,,,,adult" },
    { id: "r3", from: 4, csv: "B,b:3,,infected,,,,adult" },
    { id: "r4", from: 6, csv: 'B,cohen:4,,severe,6,4,"quoted, with a comma",adult' },
  ]);
  queries = await folder("queries", [
    { id: "q1", from: 1, csv: "A,a:5,,healthy,,,,adult" },
    { id: "q2", from: 3, csv: "B,b:6,,severe,,,,adult" },
  ]);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("runEvaluation on a fixture folder", () => {
  it("gives the hand-computed purity and confusion when k covers the whole reference set", async () => {
    const r = await runEvaluation({
      modelDir: "models/mobilenet_v2_imagenet",
      referenceDir: reference,
      queriesDir: queries,
      k: 4,
      env,
    });
    // Reference: 2 healthy (source A), 1 infected + 1 severe (source B). Every query sees all four.
    expect(r.purity.healthy).toEqual({ value: 0.5, queries: 1, neighbours: 4 });
    expect(r.purity.severe).toEqual({ value: 0.5, queries: 1, neighbours: 4 });
    expect(r.purity.severeStrict.value).toBe(0.25);
    expect(r.purity.infected).toEqual({ value: null, queries: 0, neighbours: 0 });
    // Other source: the healthy query (A) sees only B (infected, severe); the severe query (B) only A (healthy x2).
    expect(r.purityOtherSource.healthy).toEqual({ value: 0, queries: 1, neighbours: 2 });
    expect(r.purityOtherSource.severe).toEqual({ value: 0, queries: 1, neighbours: 2 });
    // Majority of {healthy, healthy, infected, severe} is healthy for both queries.
    expect(r.confusion.matrix).toEqual([
      [1, 0, 0],
      [0, 0, 0],
      [1, 0, 0],
    ]);
    expect(r.confusion.accuracy).toBe(0.5);
    expect(r.counts.reference).toEqual({ healthy: 2, infected: 1, severe: 1, total: 4 });
    expect(r.model.id).toBe("mobilenet_v2_imagenet@1");
    expect(r.provider).toBe("cpu");
    expect(r.leakage.leaks).toEqual([]);
    expect(r.timing.totalSeconds).toBeGreaterThan(0);
    expect(r.severity.geographic).toBeNull(); // one scored reference image: nothing to calibrate on
  });

  it("refuses a query that is a copy of a reference image under another id and patient", async () => {
    const q = await folder("leak-image", [{ id: "x1", from: 4, csv: "C,c:9,,infected,,,,adult" }]);
    const error = await runEvaluation({
      modelDir: "models/mobilenet_v2_imagenet",
      referenceDir: reference,
      queriesDir: q,
      k: 2,
      env,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakageError);
    expect((error as LeakageError).check.leaks).toEqual([
      expect.objectContaining({ queryId: "x1", referenceId: "r3", reason: "image" }),
    ]);
  });

  it("refuses a query of a reference patient, also through a linked id in notes", async () => {
    const q = await folder("leak-patient", [
      { id: "y1", from: 5, csv: "A,a:1,,healthy,,,,adult" },
      { id: "y2", from: 7, csv: "C,c:7,,severe,,,same person also filed as cohen:4,adult" },
    ]);
    const error = await runEvaluation({
      modelDir: "models/mobilenet_v2_imagenet",
      referenceDir: reference,
      queriesDir: q,
      k: 2,
      env,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeakageError);
    const leaks = (error as LeakageError).check.leaks.filter((l) => l.reason === "patient");
    expect(leaks.map((l) => [l.queryId, l.referenceId])).toEqual([
      ["y1", "r1"],
      ["y2", "r4"],
    ]);
  });

  it("reports instead of refusing with allowLeaks, and the CLI exits 2 on a leak", async () => {
    const q = path.join(tmp, "leak-image");
    const r = await runEvaluation({
      modelDir: "models/mobilenet_v2_imagenet",
      referenceDir: reference,
      queriesDir: q,
      k: 2,
      env,
      allowLeaks: true,
    });
    expect(r.leakage.leakedQueries).toEqual(["x1"]);
    expect(r.leakage.allowed).toBe(true);

    const cli = spawnSync(
      path.resolve("node_modules/.bin/tsx"),
      ["scripts/eval.ts", "--reference", reference, "--queries", q, "--k", "2"],
      { env, encoding: "utf8" },
    );
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain("Refusing to evaluate");
  });
});
