// kNN benchmark: top-k latency (p50/p95) and recall@k of the app's HNSW query (lib/db/vector-sql.ts
// nearestReferences, joins and all) against exact search, unfiltered and filtered to classes (each class has its own
// partial HNSW index), HNSW build times and index sizes, at growing library sizes.
// Writes bench/results/knn.json (after every size, so an interrupted run keeps what it measured) and prints a table.
//
//   npm run bench:knn -- [--sizes 10000,100000] [--dims 512] [--queries 200] [--ef 40,100,200] [--k 36]
//                        [--jitter walk|star] [--noise auto|<sigma>] [--maintenance-work-mem 1GB] [--keep]
//                        [--out bench/results/knn.json]
//
// Data: the real corpus (all 2,405 films) embedded once with the active model (cached under .data/bench/, ignored by
// git), plus jittered copies up to each size: Gaussian noise on every component, then re-normalised. By default
// ("walk") each copy jitters a random earlier vector, film or copy; "star" jitters the films only (see
// generateLibrary for why that is not the default). Queries are one more jittered copy of random library vectors.
// --dims below the model's dimension truncates every vector to its first <dims> components and re-normalises (not
// PCA: this benchmarks the index at a smaller width, e.g. a 512-d trained model, not the quality of a projection).
// Ground truth: exact top-k computed in memory over the same vectors, checked against the SQL exact search
// (exactNearestReferences) on a few queries per size. Database: DATABASE_URL's server (a fresh database per size,
// dropped afterwards unless --keep), else an on-disk PGlite in a temporary folder.
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "@/lib/config";
import { createDb, type Db } from "@/lib/db/client";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";
import {
  createModelIndex,
  exactNearestReferences,
  explainNearestReferences,
  findModelIndexes,
  insertEmbeddingsBinary,
  nearestReferences,
} from "@/lib/db/vector-sql";
import { REFERENCE_CLASSES, type ReferenceClass } from "@/lib/domain";
import { embeddingModel, embedImages } from "@/lib/embedding";
import { recallAtK, scanBlock, TopK } from "@/lib/neighbours/exact-topk";
import { classOfSeverity } from "@/lib/reference/plan";
import { readMetadata, imagePath } from "@/lib/reference/metadata";
import { createProgressReporter } from "@/lib/reference/progress";
import { decodeForIngest } from "@/lib/scans/pipeline";
import { seededRandom } from "../lib/seeded-random";

// ---------------------------------------------------------------------------------------------------------- options

const { values: opts } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000" },
    dims: { type: "string" },
    queries: { type: "string", default: "200" },
    ef: { type: "string", default: "40,100,200" },
    k: { type: "string", default: "36" },
    noise: { type: "string", default: "auto" },
    jitter: { type: "string", default: "walk" },
    seed: { type: "string", default: "20261126" },
    "maintenance-work-mem": { type: "string", default: "1GB" },
    out: { type: "string", default: "bench/results/knn.json" },
    cache: { type: "string", default: ".data/bench" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(
    "usage: npm run bench:knn -- [--sizes 10000,100000] [--dims 512] [--queries 200] [--ef 40,100,200] [--k 36] " +
      "[--noise auto|<sigma>] [--maintenance-work-mem 1GB] [--out bench/results/knn.json]",
  );
  process.exit(0);
}

function ints(name: string, raw: string): number[] {
  const list = raw
    .split(",")
    .map((s) => Number(s.trim().replace(/_/g, "").replace(/k$/i, "000").replace(/m$/i, "000000")));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new Error(`--${name} takes positive whole numbers separated by commas (10k and 1m work too), got "${raw}"`);
  }
  return list;
}

const SIZES = ints("sizes", opts.sizes);
const QUERIES = ints("queries", opts.queries)[0]!;
const EF = ints("ef", opts.ef);
const K = ints("k", opts.k)[0]!;
const SEED = ints("seed", opts.seed)[0]!;
const BLOCK = 1000;

// ------------------------------------------------------------------------------------------------ random numbers

/** Standard normal samples by Box-Muller. */
function gaussian(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(uniform(), Number.MIN_VALUE);
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

function normalise(v: Float32Array, offset: number, dims: number): void {
  let s = 0;
  for (let i = 0; i < dims; i++) s += v[offset + i]! * v[offset + i]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < dims; i++) v[offset + i]! *= inv;
}

// ------------------------------------------------------------------------------------------- corpus embeddings

interface Base {
  modelId: string;
  modelDims: number;
  dims: number;
  count: number;
  /** Row-major, unit length, `dims` wide. */
  vectors: Float32Array;
  classes: ReferenceClass[];
}

async function corpusVectors(corpusDir: string, cacheDir: string): Promise<Base> {
  const model = await embeddingModel();
  const tag = `${model.id.replace(/[^A-Za-z0-9]+/g, "_")}-${model.sha256.slice(0, 12)}`;
  const binFile = path.join(cacheDir, `corpus-vectors-${tag}.f32`);
  const metaFile = path.join(cacheDir, `corpus-vectors-${tag}.json`);
  const { rows } = await readMetadata(corpusDir);
  try {
    const meta = JSON.parse(await readFile(metaFile, "utf8")) as { ids: string[]; classes: ReferenceClass[] };
    const buf = await readFile(binFile);
    const vectors = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    if (vectors.length === meta.ids.length * model.dims) {
      console.log(`corpus vectors: ${meta.ids.length} from the cache ${binFile}`);
      return {
        modelId: model.id,
        modelDims: model.dims,
        dims: model.dims,
        count: meta.ids.length,
        vectors,
        classes: meta.classes,
      };
    }
  } catch {
    // No cache yet (or a stale one): embed below.
  }
  console.log(`embedding the corpus once (${rows.length} films) with ${model.id}; cached in ${cacheDir}`);
  const ids: string[] = [];
  const classes: ReferenceClass[] = [];
  const chunks: Float32Array[] = [];
  const bar = createProgressReporter(process.stdout, { label: "embed " });
  for (let i = 0; i < rows.length; i += 16) {
    const batch = rows.slice(i, i + 16);
    const decoded = [];
    for (const row of batch) {
      try {
        decoded.push({ row, image: await decodeForIngest(await readFile(imagePath(corpusDir, row.id))) });
      } catch (error) {
        console.warn(`skipped ${row.id}: ${(error as Error).message}`);
      }
    }
    const vectors = await embedImages(decoded.map((d) => d.image));
    decoded.forEach((d, j) => {
      ids.push(d.row.id);
      classes.push(classOfSeverity(d.row.severity) ?? "infected");
      chunks.push(vectors[j]!);
    });
    bar.update({ done: Math.min(i + 16, rows.length), total: rows.length });
  }
  bar.finish({ done: rows.length, total: rows.length });
  const vectors = new Float32Array(ids.length * model.dims);
  chunks.forEach((v, i) => vectors.set(v, i * model.dims));
  await mkdir(cacheDir, { recursive: true });
  await writeFile(binFile, Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  await writeFile(
    metaFile,
    JSON.stringify({ modelId: model.id, sha256: model.sha256, dims: model.dims, ids, classes }),
  );
  return { modelId: model.id, modelDims: model.dims, dims: model.dims, count: ids.length, vectors, classes };
}

/** First `dims` components of each vector, re-normalised. */
function truncate(base: Base, dims: number): Base {
  if (dims >= base.dims) return base;
  const out = new Float32Array(base.count * dims);
  for (let i = 0; i < base.count; i++) {
    out.set(base.vectors.subarray(i * base.dims, i * base.dims + dims), i * dims);
    normalise(out, i * dims, dims);
  }
  return { ...base, dims, vectors: out };
}

/** Median cosine distance from each corpus film to its nearest other film (on a sample, for speed). */
function medianNearestDistance(base: Base, sample = 400): number {
  const pick = seededRandom(SEED ^ 0x5eed);
  const distances: number[] = [];
  for (let s = 0; s < Math.min(sample, base.count); s++) {
    const i = Math.floor(pick() * base.count);
    let best = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < base.count; j++) {
      if (j === i) continue;
      let d = 0;
      for (let c = 0; c < base.dims; c++) d += base.vectors[i * base.dims + c]! * base.vectors[j * base.dims + c]!;
      if (d > best) best = d;
    }
    distances.push(1 - best);
  }
  distances.sort((a, b) => a - b);
  return distances[Math.floor(distances.length / 2)]!;
}

type Jitter = "walk" | "star";

interface Library {
  n: number;
  dims: number;
  /** Row-major, unit length. */
  vectors: Float32Array;
  /** Corpus film each vector descends from (its class is the vector's class). */
  origin: Int32Array;
}

/**
 * The library of size n: the corpus films, then jittered copies (Gaussian noise, re-normalised) up to n.
 * "walk": each copy jitters a random earlier vector (a film or a copy), so the copies spread out like more films of
 * the same kinds would. "star": every copy jitters its corpus film directly; at 40+ copies per film each film
 * becomes a hub of near-equidistant points, which HNSW's neighbour pruning cuts off (recall collapses at 100k, see
 * docs/benchmarks.md): kept to show that, not as the default.
 */
function generateLibrary(base: Base, n: number, sigma: number, jitter: Jitter, seed: number): Library {
  const d = base.dims;
  const vectors = new Float32Array(n * d);
  const origin = new Int32Array(n);
  const normal = gaussian(seededRandom(seed));
  const pick = seededRandom(seed ^ 0x2545f491);
  for (let id = 0; id < n; id++) {
    if (id < base.count) {
      vectors.set(base.vectors.subarray(id * d, (id + 1) * d), id * d);
      origin[id] = id;
      continue;
    }
    const parent = jitter === "star" ? id % base.count : Math.floor(pick() * id);
    origin[id] = origin[parent]!;
    for (let c = 0; c < d; c++) vectors[id * d + c] = vectors[parent * d + c]! + sigma * normal();
    normalise(vectors, id * d, d);
  }
  return { n, dims: d, vectors, origin };
}

/** Queries: one more jittered copy each of random library vectors; never in the library themselves. */
function makeQueries(library: Library, count: number, sigma: number, seed: number): Float32Array {
  const d = library.dims;
  const pick = seededRandom(seed);
  const normal = gaussian(seededRandom(seed ^ 0x7f4a7c15));
  const queries = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    const src = Math.floor(pick() * library.n);
    for (let c = 0; c < d; c++) queries[i * d + c] = library.vectors[src * d + c]! + sigma * normal();
    normalise(queries, i * d, d);
  }
  return queries;
}

/** Benchmark scan ids encode the vector's index, so results map back without a million-entry table. */
function scanIdOf(id: number): string {
  return `00000000-0000-4000-8000-${id.toString(16).padStart(12, "0")}`;
}

function indexOfScanId(scanId: string): number {
  return Number.parseInt(scanId.slice(24), 16);
}

function classOf(base: Base, library: Library, id: number): ReferenceClass {
  return base.classes[library.origin[id]!]!;
}

// ------------------------------------------------------------------------------------------------------ database

interface BenchDb {
  db: Db;
  /** Plain node-postgres pool for the bulk load (binary parameters). */
  pool: pg.Pool;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

async function openDatabase(label: string): Promise<BenchDb> {
  const server = loadConfig().databaseUrl;
  if (server) {
    const name = `radtrack_bench_${label}_${process.pid}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}"`);
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    await migrate(url.toString());
    const db = createDb(url.toString());
    const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    return {
      db,
      pool,
      kind: "postgres",
      async close() {
        await pool.end();
        await db.$disconnect();
        if (opts.keep) {
          console.log(`kept the database ${name} (--keep)`);
          return;
        }
        const c = new pg.Client({ connectionString: server });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-bench-"));
  const embedded = await startEmbeddedDatabase({ dataDir: dir });
  await migrate(embedded.url);
  const db = createDb(embedded.url);
  const pool = new pg.Pool({ connectionString: embedded.url, max: 1 });
  return {
    db,
    pool,
    kind: "pglite",
    async close() {
      await pool.end();
      await db.$disconnect();
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function serverInfo(db: Db): Promise<{ server: string; pgvector: string }> {
  const [v] = await db.$queryRaw<{ server: string; pgvector: string }[]>`
    SELECT current_setting('server_version') AS server,
           (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector`;
  return v!;
}

// ------------------------------------------------------------------------------------------------------- measure

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function latencySummary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    p50Ms: round(percentile(s, 50)),
    p95Ms: round(percentile(s, 95)),
    meanMs: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/**
 * "app": nearestReferences as the app calls it (a small class is answered exactly); "index": the HNSW path forced
 * (plan "index"); "exact": exactNearestReferences, the scan-and-sort the app falls back to for small classes.
 */
type QueryPath = "app" | "index" | "exact";

interface QueryRun {
  efSearch: number;
  classes: ReferenceClass[] | null;
  path: QueryPath;
  p50Ms: number;
  p95Ms: number;
  meanMs: number;
  recall: number;
  /** Fewest rows any query returned (k expected). */
  minRows: number;
  /** Queries that returned fewer than k rows. */
  shortQueries: number;
}

interface ClassIndex {
  class: ReferenceClass;
  vectors: number;
  buildSeconds: number;
  bytes: number;
}

interface SizeResult {
  n: number;
  /** When this size was measured, and how busy the machine was (shared cores skew latencies). */
  measuredAt: string;
  loadAverage1m: number;
  database: "postgres" | "pglite";
  server: string;
  pgvector: string;
  loadSeconds: number;
  indexBuildSeconds: number;
  indexBytes: number;
  /** The per-class partial indexes, built after the model's index. */
  classIndexes: ClassIndex[];
  tableBytes: number;
  planUsesHnsw: boolean;
  /** EXPLAIN of a "severe only" query names the severe index (for two classes: both indexes). */
  filteredPlanUsesClassIndex: boolean;
  exactSql: { queries: number; agreement: number; p50Ms: number };
  runs: QueryRun[];
}

async function benchSize(base: Base, n: number, sigma: number, jitter: Jitter): Promise<SizeResult> {
  const d = base.dims;
  const library = generateLibrary(base, n, sigma, jitter, SEED + n);
  const queries = makeQueries(library, QUERIES, sigma, SEED ^ 0x9e3779b9);
  const q = QUERIES;
  // Exact top-k in memory, over the very vectors the database gets.
  const truth = Array.from({ length: q }, () => new TopK(K));
  const filters: ReferenceClass[][] = [["severe"], ["infected", "severe"]];
  const truthFiltered = filters.map(() => Array.from({ length: q }, () => new TopK(K)));
  const g0 = performance.now();
  scanBlock(queries, truth, library.vectors, d, 0);
  filters.forEach((classes, f) =>
    scanBlock(queries, truthFiltered[f]!, library.vectors, d, 0, (id) => classes.includes(classOf(base, library, id))),
  );
  const truthOf = (classes: ReferenceClass[] | null) =>
    (classes ? truthFiltered[filters.findIndex((f) => f.join() === classes.join())]! : truth).map((t) => t.result());
  console.log(
    `generated ${n} vectors and exact top-${K} of ${q} queries in ${((performance.now() - g0) / 1000).toFixed(1)} s`,
  );
  const bench = await openDatabase(String(n));
  const { db } = bench;
  try {
    const info = await serverInfo(db);
    const model = { id: `bench-${d}d@1`, dims: d };
    await db.model.create({ data: { id: model.id, sha256: "0".repeat(64), dims: d, card: { bench: true } } });
    const bar = createProgressReporter(process.stdout, { label: `load ${n} ` });
    const loadStarted = performance.now();
    let sqlSeconds = 0;
    // The index is built after the load, as the import does for bulk loads (inserting into a live graph is slower).
    for (let first = 0; first < n; first += BLOCK) {
      const count = Math.min(BLOCK, n - first);
      const block = library.vectors.subarray(first * d, (first + count) * d);
      const ids = Array.from({ length: count }, (_, j) => first + j);
      const t0 = performance.now();
      const client = await bench.pool.connect();
      try {
        await client.query("BEGIN");
        // Scans and labels made in SQL from the ids; the content hash only has to be unique.
        await client.query(
          `INSERT INTO "scans" ("id", "sha256", "storage_key", "width", "height", "origin")
           SELECT t.id, lpad(to_hex(t.n), 64, '0'), 'bench/' || t.n, 1, 1, 'reference'
           FROM unnest($1::uuid[], $2::bigint[]) AS t(id, n)`,
          [ids.map(scanIdOf), ids],
        );
        await client.query(
          `INSERT INTO "reference_labels" ("scan_id", "class", "source", "source_id")
           SELECT t.id, t.class::"ReferenceClass", 'bench', t.n::text
           FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS t(id, class, n)`,
          [ids.map(scanIdOf), ids.map((id) => classOf(base, library, id)), ids],
        );
        await insertEmbeddingsBinary(
          client,
          model,
          ids.map((id, j) => ({ scanId: scanIdOf(id), vector: block.subarray(j * d, (j + 1) * d) })),
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      } finally {
        client.release();
      }
      sqlSeconds += (performance.now() - t0) / 1000;
      bar.update({ done: first + count, total: n });
    }
    bar.finish({ done: n, total: n });
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await db.$executeRawUnsafe(`ANALYZE "embeddings", "scans", "reference_labels"`);
    console.log(`loaded ${n} in ${loadSeconds.toFixed(1)} s (${sqlSeconds.toFixed(1)} s in SQL); building HNSW...`);

    const b0 = performance.now();
    await createModelIndex(db, model, {
      maintenanceWorkMem: bench.kind === "postgres" ? opts["maintenance-work-mem"] : undefined,
    });
    const indexBuildSeconds = (performance.now() - b0) / 1000;
    const index = (await findModelIndexes(db, model.id)).all!;
    console.log(`HNSW built in ${indexBuildSeconds.toFixed(1)} s, ${(index.bytes / 2 ** 20).toFixed(0)} MiB`);
    const classBuilds: { class: ReferenceClass; buildSeconds: number }[] = [];
    for (const cls of REFERENCE_CLASSES) {
      const c0 = performance.now();
      await createModelIndex(db, model, {
        scope: cls,
        maintenanceWorkMem: bench.kind === "postgres" ? opts["maintenance-work-mem"] : undefined,
      });
      classBuilds.push({ class: cls, buildSeconds: (performance.now() - c0) / 1000 });
      console.log(`HNSW of class ${cls} built in ${classBuilds.at(-1)!.buildSeconds.toFixed(1)} s`);
    }
    const indexes = await findModelIndexes(db, model.id);
    const perClass = new Map<ReferenceClass, number>();
    for (let id = 0; id < n; id++)
      perClass.set(classOf(base, library, id), (perClass.get(classOf(base, library, id)) ?? 0) + 1);
    const classIndexes: ClassIndex[] = classBuilds.map((b) => ({
      class: b.class,
      vectors: perClass.get(b.class) ?? 0,
      buildSeconds: Math.round(b.buildSeconds * 10) / 10,
      bytes: indexes.byClass[b.class]!.bytes,
    }));
    await db.$executeRawUnsafe(`ANALYZE "embeddings"`);
    const [size] = await db.$queryRaw<{ bytes: bigint }[]>`SELECT pg_total_relation_size('"embeddings"') AS bytes`;

    const queryVector = (i: number) => queries.subarray(i * d, (i + 1) * d);
    const plan = await explainNearestReferences(db, { modelId: model.id, dims: d, vector: queryVector(0), k: K });
    const planUsesHnsw = plan.some((line) => line.includes(index.name));
    let filteredPlanUsesClassIndex = true;
    for (const classes of filters) {
      const lines = await explainNearestReferences(db, {
        modelId: model.id,
        dims: d,
        vector: queryVector(0),
        k: K,
        classes,
      });
      const ok = classes.every((c) => lines.some((line) => line.includes(indexes.byClass[c]!.name)));
      if (!ok) console.log(`plan of a ${classes.join("+")} query does not use the class indexes:\n${lines.join("\n")}`);
      filteredPlanUsesClassIndex &&= ok;
    }

    // Exact SQL on a few queries: checks the in-memory ground truth and shows what the index saves.
    const exactQueries = Math.min(q, n >= 500_000 ? 3 : 10);
    const exactMs: number[] = [];
    let agree = 0;
    for (let i = 0; i < exactQueries; i++) {
      const t0 = performance.now();
      const rows = await exactNearestReferences(db, { modelId: model.id, dims: d, vector: queryVector(i), k: K });
      exactMs.push(performance.now() - t0);
      const want = new Set(truth[i]!.result());
      agree += rows.filter((r) => want.has(indexOfScanId(r.scanId))).length / K;
    }

    const runs: QueryRun[] = [];
    // Unfiltered; then filtered to the rarest class (severe, ~1 film in 8), the hard case before class indexes, at
    // every ef_search through the app's path, and at the default ef_search through the forced index path and the
    // exact path (where the two cross decides which classes the app answers exactly); then two classes.
    const defaultEf = Math.max(100, 2 * K);
    const severe: ReferenceClass[] = ["severe"];
    const settings: { ef: number; classes: ReferenceClass[] | null; path: QueryPath }[] = [
      ...EF.map((ef) => ({ ef, classes: null, path: "app" as const })),
      ...EF.map((ef) => ({ ef, classes: severe, path: "app" as const })),
      { ef: defaultEf, classes: severe, path: "index" },
      { ef: defaultEf, classes: severe, path: "exact" },
      { ef: defaultEf, classes: filters[1]!, path: "app" },
    ];
    // Warm-up: first touches of the index pages are not what a running server sees.
    for (let i = 0; i < Math.min(q, 20); i++) {
      for (const classes of [undefined, ...filters]) {
        await nearestReferences(db, { modelId: model.id, dims: d, vector: queryVector(i), k: K, classes });
      }
    }
    for (const s of settings) {
      const ms: number[] = [];
      const got: number[][] = [];
      let minRows = K;
      let shortQueries = 0;
      // The exact path reads the whole class: at 1M that is seconds a query, and 20 queries tell its latency.
      const count = s.path === "exact" && n >= 500_000 ? Math.min(q, 20) : q;
      for (let i = 0; i < count; i++) {
        const query = {
          modelId: model.id,
          dims: d,
          vector: queryVector(i),
          k: K,
          efSearch: s.ef,
          classes: s.classes ?? undefined,
          plan: s.path === "index" ? ("index" as const) : ("auto" as const),
        };
        const t0 = performance.now();
        const rows = s.path === "exact" ? await exactNearestReferences(db, query) : await nearestReferences(db, query);
        ms.push(performance.now() - t0);
        got.push(rows.map((r) => indexOfScanId(r.scanId)));
        minRows = Math.min(minRows, rows.length);
        if (rows.length < K) shortQueries++;
      }
      const run: QueryRun = {
        efSearch: s.ef,
        classes: s.classes,
        path: s.path,
        ...latencySummary(ms),
        recall: recallAtK(got, truthOf(s.classes).slice(0, count)),
        minRows,
        shortQueries,
      };
      runs.push(run);
      console.log(
        `  ef_search ${s.ef}${s.classes ? ` (${s.classes.join(",")} only, ${s.path})` : ""}: p50 ${run.p50Ms} ms, ` +
          `p95 ${run.p95Ms} ms, recall@${K} ${run.recall.toFixed(4)}, fewest rows ${minRows}`,
      );
    }
    return {
      n,
      measuredAt: new Date().toISOString(),
      loadAverage1m: Math.round(os.loadavg()[0]! * 10) / 10,
      database: bench.kind,
      ...info,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      indexBuildSeconds: Math.round(indexBuildSeconds * 10) / 10,
      indexBytes: index.bytes,
      classIndexes,
      tableBytes: Number(size!.bytes),
      planUsesHnsw,
      filteredPlanUsesClassIndex,
      exactSql: { queries: exactQueries, agreement: agree / Math.max(1, exactQueries), ...pick50(exactMs) },
      runs,
    };
  } finally {
    await bench.close();
  }
}

function pick50(ms: number[]): { p50Ms: number } {
  return { p50Ms: latencySummary(ms).p50Ms };
}

// ---------------------------------------------------------------------------------------------------------- main

async function writeAtomic(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

interface SavedRun {
  database: { kind: string };
  vectors: { dims: number; jitter: string };
  sizes: { n: number }[];
}

/**
 * One file for every configuration. A run's sizes replace the same sizes of the earlier run with the same database
 * kind, width and jitter; other sizes and configurations stay (e.g. 1280-d and 512-d, 100k and 1M side by side).
 */
async function saveRun(file: string, run: SavedRun): Promise<void> {
  let runs: SavedRun[] = [];
  try {
    const old = JSON.parse(await readFile(file, "utf8")) as { runs?: SavedRun[] };
    runs = Array.isArray(old.runs) ? old.runs : [];
  } catch {
    // First run, or a file from before: start afresh.
  }
  const same = (r: SavedRun) =>
    r.database?.kind === run.database.kind &&
    r.vectors?.dims === run.vectors.dims &&
    r.vectors?.jitter === run.vectors.jitter;
  const earlier = runs.find(same);
  const fresh = new Set(run.sizes.map((s) => s.n));
  const sizes = [...(earlier?.sizes ?? []).filter((s) => !fresh.has(s.n)), ...run.sizes].sort((a, b) => a.n - b.n);
  runs = [...runs.filter((r) => !same(r)), { ...run, sizes }];
  await writeAtomic(file, `${JSON.stringify({ benchmark: "knn", runs }, null, 2)}\n`);
}

function printTable(results: SizeResult[]): void {
  console.log(
    `\n${"n".padStart(9)} ${"db".padEnd(8)} ${"build s".padStart(8)} ${"index MiB".padStart(9)}  ${"ef".padStart(4)} ${"filter".padEnd(15)} ${"path".padEnd(5)} ${"p50 ms".padStart(7)} ${"p95 ms".padStart(7)} ${`recall@${K}`.padStart(9)} ${"min rows".padStart(8)}`,
  );
  for (const r of results) {
    for (const run of r.runs) {
      console.log(
        `${String(r.n).padStart(9)} ${r.database.padEnd(8)} ${r.indexBuildSeconds.toFixed(1).padStart(8)} ` +
          `${(r.indexBytes / 2 ** 20).toFixed(0).padStart(9)}  ${String(run.efSearch).padStart(4)} ` +
          `${(run.classes?.join(",") ?? "-").padEnd(15)} ${run.path.padEnd(5)} ${run.p50Ms.toFixed(1).padStart(7)} ` +
          `${run.p95Ms.toFixed(1).padStart(7)} ${run.recall.toFixed(4).padStart(9)} ${String(run.minRows).padStart(8)}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const cfg = loadConfig();
  if (!cfg.corpusDir) throw new Error("no corpus folder: set RADTRACK_CORPUS_DIR");
  const full = await corpusVectors(cfg.corpusDir, path.resolve(opts.cache));
  const dims = opts.dims ? ints("dims", opts.dims)[0]! : full.dims;
  if (dims > full.dims || dims > 2000) throw new Error(`--dims must be at most ${Math.min(full.dims, 2000)}`);
  const base = truncate(full, dims);
  const jitter = opts.jitter as Jitter;
  if (jitter !== "walk" && jitter !== "star") throw new Error(`--jitter takes walk or star, got ${opts.jitter}`);

  // Noise: by default one jitter step moves a vector by about half the median nearest-film distance, so copies fill
  // the space between films rather than collapsing onto them.
  const nn = medianNearestDistance(base);
  const sigma = opts.noise === "auto" ? Math.sqrt((2 * (nn / 2)) / dims) : Number(opts.noise);
  if (!Number.isFinite(sigma) || sigma < 0) throw new Error(`--noise must be "auto" or a non-negative number`);
  console.log(
    `base: ${base.count} corpus vectors, ${dims}-d${dims < full.dims ? ` (truncated from ${full.dims}, re-normalised)` : ""}; ` +
      `median nearest-film cosine distance ${nn.toFixed(4)}; noise sigma ${sigma.toExponential(3)} per component`,
  );

  const results: SizeResult[] = [];
  const started = new Date().toISOString();
  for (const n of SIZES) {
    console.log(`\n== ${n} vectors`);
    results.push(await benchSize(base, n, sigma, jitter));
    const run = {
      date: started,
      machine: {
        cpuModel: os.cpus()[0]?.model ?? "unknown",
        cores: os.availableParallelism(),
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        loadAverage1m: Math.round(os.loadavg()[0]! * 10) / 10,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        node: process.version,
      },
      database: { kind: results[0]!.database, server: results[0]!.server, pgvector: results[0]!.pgvector },
      model: { id: base.modelId, dims: base.modelDims },
      vectors: {
        dims,
        projection: dims < base.modelDims ? "truncate first dims + re-normalise" : "none",
        corpus: base.count,
        jitter,
        noiseSigma: sigma,
        medianNearestCorpusDistance: nn,
      },
      hnsw: { m: 16, efConstruction: 64, maintenanceWorkMem: opts["maintenance-work-mem"] },
      k: K,
      queries: QUERIES,
      sizes: results,
    };
    await saveRun(path.resolve(opts.out), run);
  }
  printTable(results);
  console.log(`\nwritten to ${opts.out}`);
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
