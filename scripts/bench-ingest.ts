// Ingest speed end to end, in process (the same lib/ code the server action and the API call):
//   1. bulk: a reference import of N corpus films (decode, embed in batches, store, insert), in scans/s, against the
//      embed-only rate (embedImages on already decoded films) measured in the same run, just before and just after
//      the import (the cores are shared: their mean is fairer to a minute-long import than one 160-film sample), with
//      the busy time of each import step per film (steps of different batches overlap, so they add up to more than
//      the wall time);
//   2. single upload: p50/p95 of ingestScan + the 36 nearest reference scans for 2000 x 2000 JPEGs, with the busy
//      time of each step per film (one film at a time, so each step's time is its own: validate, decode pixels,
//      model input, embed, renditions, the 2048 px rendition, hash, store, record);
//   3. serial: corpus films one at a time through the patient path as a bulk job runs them (no 2048 px rendition),
//      films/s and the busy time of each step per film.
// Runs on DATABASE_URL (a throw-away database is created there) or an in-memory PGlite. Writes
// bench/results/ingest.json (PGlite) or bench/results/ingest-postgres.json, so both databases' runs are kept
// (--name: another file under bench/results, e.g. a before/after pair).
//
//   npm run bench:ingest -- [--bulk 1000] [--uploads 30] [--serial 100] [--depth 2] [--name ingest-before]
//   (--depth 1: no batch overlap, for comparison)
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { NEIGHBOUR_K } from "@/lib/domain";
import { decodeGrey } from "@/lib/embedding/dev-corpus";
import { embedImages, embeddingStatus } from "@/lib/embedding";
import { neighboursOfScan } from "@/lib/neighbours";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, readCorpusTable, realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { activeModel } from "@/lib/scans/active-model";
import { ingestScan, ingestScans } from "@/lib/scans/ingest";
import type { StepTimings } from "@/lib/scans/pipeline";
import { createTestDatabase } from "@/tests/support/test-database";
import { resultHeader, writeResult } from "./bench-results";

const { values } = parseArgs({
  options: {
    bulk: { type: "string", default: "1000" },
    uploads: { type: "string", default: "30" },
    serial: { type: "string", default: "100" },
    depth: { type: "string" },
    name: { type: "string" },
  },
});
const bulkN = Number(values.bulk);
const uploads = Number(values.uploads);
const serialN = Number(values.serial);
const pipelineDepth = values.depth === undefined ? undefined : Number(values.depth);
if (!Number.isInteger(bulkN) || bulkN < 16 || !Number.isInteger(uploads) || uploads < 5) {
  throw new Error("--bulk must be ≥ 16 and --uploads ≥ 5");
}
if (!Number.isInteger(serialN) || serialN < 10) throw new Error("--serial must be ≥ 10");
if (values.name !== undefined && !/^[a-z0-9-]+$/.test(values.name)) throw new Error("--name: a-z, 0-9 and - only");

/** Busy ms per film of each step, rounded; the steps in the order a film meets them. */
const STEP_ORDER = [
  "read",
  "hash",
  "lookup",
  "decode",
  "validate",
  "decode pixels",
  "model input",
  "embed",
  "renditions",
  "gate",
  "store",
  "record",
  "full rendition",
];
const perFilm = (timings: StepTimings, films: number) =>
  Object.fromEntries(
    Object.entries(timings)
      .sort(([a], [b]) => (STEP_ORDER.indexOf(a) + 1 || 99) - (STEP_ORDER.indexOf(b) + 1 || 99))
      .map(([step, ms]) => [step, Number((ms / films).toFixed(2))]),
  );

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-bench-ingest-"));
process.env.RADTRACK_DATA_DIR = dataDir;
const t = await createTestDatabase();
try {
  const model = await activeModel(t.db);
  const table = await readCorpusTable();
  const [sev, age] = [table.col("severity"), table.col("age_group")];
  const eligible = [...table.rows.entries()]
    .filter(([, f]) => f[sev] !== "" && f[age] !== "pediatric")
    .map(([id]) => id)
    .sort();
  const bulkIds = eligible.slice(0, bulkN);
  const uploadIds = eligible.slice(bulkN, bulkN + uploads);
  const serialIds = eligible.slice(bulkN + uploads, bulkN + uploads + serialN);
  if (serialIds.length < serialN) throw new Error(`the corpus has only ${eligible.length} eligible films`);
  const loadAtStart = Number(os.loadavg()[0]!.toFixed(2));

  // Embed-only rate on the same kind of films, decoded beforehand (bench:embed's "both" stage).
  const sample = await Promise.all(
    bulkIds.slice(0, 160).map((id) => decodeGrey(path.join(realCorpusDir(), `${id}.jpg`))),
  );
  await embedImages(sample.slice(0, 16)); // warm-up: session creation is not throughput
  const embedRate = async () => {
    const e0 = performance.now();
    await embedImages(sample);
    return sample.length / ((performance.now() - e0) / 1000);
  };
  const embedBefore = await embedRate();

  const subset = await makeCorpusSubset(table, { ids: bulkIds });
  const timings: Record<string, number> = {};
  const b0 = performance.now();
  const summary = await importReferenceLibrary(t.db, subset.dir, { model, timings, pipelineDepth });
  const bulkSeconds = (performance.now() - b0) / 1000;
  await subset.remove();
  const bulkRate = summary.imported / bulkSeconds;
  const embedAfter = await embedRate();
  const embedOnly = (embedBefore + embedAfter) / 2;

  const patient = await t.db.patient.create({ data: { mrn: "BENCH-1", name: "Bench", sex: "unknown" } });
  const big = await Promise.all(
    uploadIds.map((id) =>
      sharp(path.join(realCorpusDir(), `${id}.jpg`))
        .resize(2000, 2000, { fit: "fill" })
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
  );
  const ctx = { actor: null, ip: null };
  // One warm-up upload (first-use costs: sharp pipelines, prepared statements) is not counted.
  const latencies: number[] = [];
  const uploadTimings: StepTimings = {};
  for (const [i, bytes] of big.entries()) {
    const s0 = performance.now();
    const scan = await ingestScan(
      t.db,
      { patientId: patient.id, bytes, origin: "upload" },
      ctx,
      undefined,
      i > 0 ? uploadTimings : undefined,
    );
    const result = await neighboursOfScan(t.db, scan.scanId, { k: NEIGHBOUR_K }, ctx);
    if (result.neighbours.length !== NEIGHBOUR_K)
      throw new Error(`expected ${NEIGHBOUR_K} neighbours, got ${result.neighbours.length}`);
    if (i > 0) latencies.push(performance.now() - s0);
  }

  // Corpus films one at a time through the patient path, as a bulk job takes them (no 2048 px rendition).
  const serialBytes = await Promise.all(serialIds.map((id) => readFile(path.join(realCorpusDir(), `${id}.jpg`))));
  const serialTimings: StepTimings = {};
  const r0 = performance.now();
  for (const bytes of serialBytes) {
    const [outcome] = await ingestScans(t.db, [{ patientId: patient.id, bytes, origin: "bulk" }], ctx, {
      decodeConcurrency: 1,
      timings: serialTimings,
    });
    if (!outcome!.ok) throw outcome!.error;
  }
  const serialSeconds = (performance.now() - r0) / 1000;

  const status = await embeddingStatus();
  const out = {
    ...resultHeader("ingest", {
      database: t.kind,
      model: model.id,
      provider: status.state === "ready" ? status.provider : "unknown",
    }),
    bulk: {
      films: summary.imported,
      seconds: Number(bulkSeconds.toFixed(1)),
      scansPerSec: Number(bulkRate.toFixed(1)),
      embedOnlyPerSec: Number(embedOnly.toFixed(1)),
      embedOnlyBeforeAfter: [Number(embedBefore.toFixed(1)), Number(embedAfter.toFixed(1))],
      ratio: Number((bulkRate / embedOnly).toFixed(2)),
      target: "ratio ≥ 0.80",
      pipelineDepth: pipelineDepth ?? "default",
      hnswIndex: summary.index.dropped ? "dropped and rebuilt" : "kept (live inserts)",
      // "decode" is each batch's decode step (films decoded at once); "validate" and "decode pixels" are its parts
      // summed per film, so with films decoded at once they include waiting for a core.
      busyMsPerFilm: perFilm(timings, summary.imported),
    },
    singleUpload: {
      image: "2000 x 2000 JPEG (q90)",
      uploads: latencies.length,
      p50Ms: Math.round(percentile(latencies, 50)),
      p95Ms: Math.round(percentile(latencies, 95)),
      target: "p95 < 400 ms",
      busyMsPerFilm: perFilm(uploadTimings, latencies.length),
    },
    serial: {
      image: "corpus JPEGs (about 512 px), one at a time through the patient path (origin bulk)",
      films: serialN,
      filmsPerSec: Number((serialN / serialSeconds).toFixed(1)),
      busyMsPerFilm: perFilm(serialTimings, serialN),
    },
    loadAverage1m: { start: loadAtStart, end: Number(os.loadavg()[0]!.toFixed(2)) },
  };
  console.table([
    { measure: "bulk import scans/s", value: out.bulk.scansPerSec },
    { measure: "embed-only images/s (before / after)", value: `${embedBefore.toFixed(1)} / ${embedAfter.toFixed(1)}` },
    { measure: "bulk / embed-only", value: out.bulk.ratio },
    { measure: "upload→neighbours p50 ms", value: out.singleUpload.p50Ms },
    { measure: "upload→neighbours p95 ms", value: out.singleUpload.p95Ms },
    { measure: "serial corpus films/s", value: out.serial.filmsPerSec },
    { measure: "load average 1m (start / end)", value: `${out.loadAverage1m.start} / ${out.loadAverage1m.end}` },
  ]);
  console.log("busy ms per film by step:");
  console.table(
    [...new Set([...STEP_ORDER, ...Object.keys(timings), ...Object.keys(uploadTimings)])]
      .map((step) => ({
        step,
        "reference import": out.bulk.busyMsPerFilm[step] ?? "",
        "single upload 2000 px": out.singleUpload.busyMsPerFilm[step] ?? "",
        "serial corpus film": out.serial.busyMsPerFilm[step] ?? "",
      }))
      .filter(
        (r) => r["reference import"] !== "" || r["single upload 2000 px"] !== "" || r["serial corpus film"] !== "",
      ),
  );
  const file = await writeResult(values.name ?? (t.kind === "postgres" ? "ingest-postgres" : "ingest"), out);
  console.log(`wrote ${file}`);
} finally {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
}
