// Ingest speed end to end, in process (the same lib/ code the server action and the API call):
//   1. bulk: a reference import of N corpus films (decode, embed in batches, store, insert), in scans/s, against the
//      embed-only rate (embedImages on already decoded films) measured in the same run, just before and just after
//      the import (the cores are shared: their mean is fairer to a minute-long import than one 160-film sample), with
//      the busy time of each import step per film (steps of different batches overlap, so they add up to more than
//      the wall time);
//   2. single upload: p50/p95 of ingestScan + the 36 nearest reference scans for 2000 x 2000 JPEGs.
// Runs on DATABASE_URL (a throw-away database is created there) or an in-memory PGlite. Writes
// bench/results/ingest.json (PGlite) or bench/results/ingest-postgres.json, so both databases' runs are kept.
//
//   npm run bench:ingest -- [--bulk 1000] [--uploads 30] [--depth 2]   (--depth 1: no batch overlap, for comparison)
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { NEIGHBOUR_K } from "@/lib/domain";
import { decodeGrey } from "@/lib/embedding/dev-corpus";
import { embedImages, embeddingStatus } from "@/lib/embedding";
import { neighboursOfScan } from "@/lib/neighbours";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, readCorpusTable, realCorpusDir } from "@/lib/reference/test-support/corpus-subset";
import { activeModel } from "@/lib/scans/active-model";
import { ingestScan } from "@/lib/scans/ingest";
import { createTestDatabase } from "@/tests/support/test-database";
import { resultHeader, writeResult } from "./bench-results";

const { values } = parseArgs({
  options: {
    bulk: { type: "string", default: "1000" },
    uploads: { type: "string", default: "30" },
    depth: { type: "string" },
  },
});
const bulkN = Number(values.bulk);
const uploads = Number(values.uploads);
const pipelineDepth = values.depth === undefined ? undefined : Number(values.depth);
if (!Number.isInteger(bulkN) || bulkN < 16 || !Number.isInteger(uploads) || uploads < 5) {
  throw new Error("--bulk must be ≥ 16 and --uploads ≥ 5");
}

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
  if (uploadIds.length < uploads) throw new Error(`the corpus has only ${eligible.length} eligible films`);

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
  for (const [i, bytes] of big.entries()) {
    const s0 = performance.now();
    const scan = await ingestScan(t.db, { patientId: patient.id, bytes, origin: "upload" }, ctx);
    const result = await neighboursOfScan(t.db, scan.scanId, { k: NEIGHBOUR_K }, ctx);
    if (result.neighbours.length !== NEIGHBOUR_K)
      throw new Error(`expected ${NEIGHBOUR_K} neighbours, got ${result.neighbours.length}`);
    if (i > 0) latencies.push(performance.now() - s0);
  }

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
      busyMsPerFilm: Object.fromEntries(
        Object.entries(timings).map(([step, ms]) => [step, Number((ms / summary.imported).toFixed(1))]),
      ),
    },
    singleUpload: {
      image: "2000 x 2000 JPEG (q90)",
      uploads: latencies.length,
      p50Ms: Math.round(percentile(latencies, 50)),
      p95Ms: Math.round(percentile(latencies, 95)),
      target: "p95 < 400 ms",
    },
  };
  console.table([
    { measure: "bulk import scans/s", value: out.bulk.scansPerSec },
    { measure: "embed-only images/s (before / after)", value: `${embedBefore.toFixed(1)} / ${embedAfter.toFixed(1)}` },
    { measure: "bulk / embed-only", value: out.bulk.ratio },
    { measure: "upload→neighbours p50 ms", value: out.singleUpload.p50Ms },
    { measure: "upload→neighbours p95 ms", value: out.singleUpload.p95Ms },
  ]);
  console.log("import steps, busy ms per film:", out.bulk.busyMsPerFilm);
  const file = await writeResult(t.kind === "postgres" ? "ingest-postgres" : "ingest", out);
  console.log(`wrote ${file}`);
} finally {
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
}
