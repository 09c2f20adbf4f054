// Bulk upload throughput: N corpus X-rays through the whole path (zip checks, pg-boss queue, worker: decode, embed in
// EMBED_BATCH batches, renditions, store, one transaction per batch) against the embedding alone on the same images,
// measured just before and just after the job (the cores are shared: the mean is fairer to a long job than one
// sample).
//
//   npm run bench:bulk -- [--n 500] [--depth 2]          # embedded PGlite in memory
//   DATABASE_URL=postgresql://... npm run bench:bulk       # a throw-away database on that server
//
// Prints one table; the ratio says how much of the embedding rate the queue keeps. Writes bench/results/bulk.json
// (PGlite) or bench/results/bulk-postgres.json. --depth 1: no overlap of batches in the worker, for comparison.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { ActionContext } from "@/lib/actions/define-action";
import { stopJobQueue } from "@/lib/jobs/boss";
import { checkDraft, createDraft, jobProgress, receiveChunk, submitJob } from "@/lib/bulk/service";
import { startBulkWorker, stopBulkWorker } from "@/lib/bulk/worker";
import { buildZip } from "@/lib/bulk/zip-writer";
import { loadConfig } from "@/lib/config";
import { embeddingSettings, embeddingStatus, embedImages } from "@/lib/embedding";
import { decodeScan } from "@/lib/image";
import { activeModel } from "@/lib/scans/active-model";
import { createTestDatabase } from "@/tests/support/test-database";
import { resultHeader, writeResult } from "./bench-results";

const { values } = parseArgs({ options: { n: { type: "string", default: "500" }, depth: { type: "string" } } });
const n = Number(values.n);
const depth = values.depth === undefined ? undefined : Number(values.depth);
if (!Number.isInteger(n) || n < 16) throw new Error("--n must be an integer ≥ 16");
if (depth !== undefined && (!Number.isInteger(depth) || depth < 1)) throw new Error("--depth must be ≥ 1");
const corpus = loadConfig().corpusDir ?? path.resolve("../shared/data/cxr");
const files = (await readdir(corpus))
  .filter((f) => /^(coh|nih|mhh|ped)\d+\.jpg$/.test(f))
  .sort()
  .filter((_, i, all) => i % Math.max(1, Math.floor(all.length / n)) === 0)
  .slice(0, n);
if (files.length < n) throw new Error(`only ${files.length} corpus images at ${corpus}`);
const bytes = await Promise.all(files.map((f) => readFile(path.join(corpus, f))));
const settings = embeddingSettings();
const seconds = (t0: number) => (performance.now() - t0) / 1000;

const t = await createTestDatabase();
const dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-bench-bulk-"));
try {
  const model = await activeModel(t.db);
  // Warm the session: the first inference pays for graph optimisation.
  await embedImages([await decodeScan(bytes[0]!)]);

  let t0 = performance.now();
  const decoded = [];
  for (const b of bytes) decoded.push(await decodeScan(b));
  const decodeSeconds = seconds(t0);
  // A full batch first: the session's first run at the bulk batch size is slower than the rest.
  await embedImages(decoded.slice(0, settings.batchSize));
  t0 = performance.now();
  await embedImages(decoded);
  const embedBefore = seconds(t0);

  const user = await t.db.user.create({
    data: { email: "bench@example.test", name: "Bench", role: "admin", passwordHash: "-" },
  });
  const ctx: ActionContext = { actor: { id: user.id, email: user.email, name: user.name, role: "admin" }, ip: null };
  await t.db.patient.createMany({
    data: [0, 1, 2, 3].map((i) => ({ mrn: `BENCH-${i}`, name: `Bench ${i}`, sex: "unknown" })),
  });
  const manifest = Buffer.from(
    ["mrn,acquired_at,file", ...files.map((f, i) => `BENCH-${i % 4},2025-01-01,${f}`)].join("\n"),
  );
  const zip = buildZip(files.map((f, i) => ({ name: f, data: bytes[i]!, method: 0 as const })));

  t0 = performance.now();
  const { jobId } = await createDraft(
    t.db,
    { files: [{ name: "bench.zip", size: zip.length }], manifest: { name: "m.csv", size: manifest.length } },
    ctx,
  );
  for (let offset = 0; offset < zip.length; offset += 8 << 20) {
    await receiveChunk(t.db, jobId, 0, offset, zip.subarray(offset, offset + (8 << 20)), { dataDir });
  }
  await receiveChunk(t.db, jobId, 1, 0, manifest, { dataDir });
  await checkDraft(t.db, jobId, ctx, { dataDir });
  const checkSeconds = seconds(t0);

  const timings: Record<string, number> = {};
  await startBulkWorker({ db: t.db, dataDir, timings, pipelineDepth: depth });
  // How long the main thread (the server's, in production) is kept from answering anything else during the job.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  t0 = performance.now();
  await submitJob(t.db, { jobId, createPatients: false }, ctx);
  let p;
  for (;;) {
    p = await jobProgress(t.db, jobId);
    if (!["queued", "running"].includes(p.status)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const queueSeconds = seconds(t0);
  loopDelay.disable();
  const delayMs = (q: number) => Number((loopDelay.percentile(q) / 1e6).toFixed(0));
  if (p.stored !== n) throw new Error(`job ended ${p.status} with ${p.stored} of ${n} stored`);
  await stopBulkWorker();
  t0 = performance.now();
  await embedImages(decoded);
  const embedAfter = seconds(t0);
  const embedSeconds = (embedBefore + embedAfter) / 2;

  const status = await embeddingStatus();
  const rate = (s: number) => (n / s).toFixed(1).padStart(8);
  console.log(
    `\nbulk bench: ${n} corpus JPEGs, ${t.kind}, EMBED_BATCH=${settings.batchSize}, ` +
      `EMBED_THREADS=${settings.threads}, ${os.availableParallelism()} cores`,
  );
  console.log("stage                                   seconds  images/s");
  console.log(`decode only                             ${decodeSeconds.toFixed(1).padStart(7)} ${rate(decodeSeconds)}`);
  console.log(
    `embed only, before / after the job      ${embedBefore.toFixed(1).padStart(7)} ${rate(embedBefore)} / ${rate(embedAfter).trim()}`,
  );
  console.log(
    `decode + embed                          ${(decodeSeconds + embedSeconds).toFixed(1).padStart(7)} ${rate(decodeSeconds + embedSeconds)}`,
  );
  console.log(`upload checks (zip, manifest)           ${checkSeconds.toFixed(1).padStart(7)} ${rate(checkSeconds)}`);
  console.log(`queue: submit -> job done               ${queueSeconds.toFixed(1).padStart(7)} ${rate(queueSeconds)}`);
  console.log(
    `  inside the worker (ms): ${Object.entries(timings)
      .map(([k, v]) => `${k} ${Math.round(v)}`)
      .join(", ")}`,
  );
  console.log(
    `event-loop delay during the job: p50 ${delayMs(50)} ms, p99 ${delayMs(99)} ms, max ${delayMs(100)} ms ` +
      `(inference on ${status.state === "ready" ? status.inferenceThread : "?"} thread)`,
  );
  console.log(
    `queue rate / embed-only rate: ${(embedSeconds / queueSeconds).toFixed(2)}; ` +
      `/ decode+embed rate: ${((decodeSeconds + embedSeconds) / queueSeconds).toFixed(2)}`,
  );
  const file = await writeResult(t.kind === "postgres" ? "bulk-postgres" : "bulk", {
    ...resultHeader("bulk", {
      database: t.kind,
      model: model.id,
      provider: status.state === "ready" ? status.provider : "unknown",
    }),
    scans: n,
    embedBatch: settings.batchSize,
    pipelineDepth: depth ?? 2,
    queueSeconds: Number(queueSeconds.toFixed(1)),
    scansPerSec: Number((n / queueSeconds).toFixed(1)),
    embedOnlyPerSec: Number((n / embedSeconds).toFixed(1)),
    embedOnlyBeforeAfter: [Number((n / embedBefore).toFixed(1)), Number((n / embedAfter).toFixed(1))],
    decodePlusEmbedPerSec: Number((n / (decodeSeconds + embedSeconds)).toFixed(1)),
    ratio: Number((embedSeconds / queueSeconds).toFixed(2)),
    target: "ratio ≥ 0.80",
    uploadChecksSeconds: Number(checkSeconds.toFixed(1)),
    inferenceThread: status.state === "ready" ? status.inferenceThread : "unknown",
    eventLoopDelayMs: { p50: delayMs(50), p99: delayMs(99), max: delayMs(100) },
    workerBusyMsPerScan: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Number((v / n).toFixed(1))])),
  });
  console.log(`wrote ${file}`);
} finally {
  await stopBulkWorker();
  await stopJobQueue();
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(0);
