// Every SQL statement that reads or writes a vector. Prisma cannot type `vector` columns, so they go through raw
// SQL here and nowhere else. Vectors of different models never meet: each model has its own partial HNSW index on
// `vector::vector(dims)` and every query names its model.
import type pg from "pg";
import pgvector from "pgvector";
import type { Db } from "./client";
import { isUniqueViolation } from "./errors";
import { Prisma } from "./generated/client";

type Sql = Db | Prisma.TransactionClient;

export interface ModelRecord {
  id: string;
  sha256: string;
  dims: number;
  card: Prisma.InputJsonValue;
}

export class ModelMismatchError extends Error {
  override readonly name = "ModelMismatchError";
}

function assertDims(dims: number): void {
  // Also keeps the number safe to splice into the cast below, which cannot be a bind parameter.
  if (!Number.isInteger(dims) || dims < 1 || dims > 2000) {
    throw new Error(`embedding dimension ${dims} is outside 1..2000 (pgvector's HNSW limit for vector)`);
  }
}

function indexName(modelId: string): string {
  return `embeddings_hnsw_${modelId.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`.slice(0, 63);
}

/** SQL string literal of a model id, for the partial-index predicate (DDL takes no bind parameters). */
function modelLiteral(modelId: string): string {
  return `'${modelId.replace(/'/g, "''")}'`;
}

/**
 * pgvector's text form. Nine significant digits round-trip any float32 exactly, at about half the length of the
 * shortest double form: bulk loads send and parse gigabytes of this.
 */
function vectorText(v: Float32Array | readonly number[]): string {
  let out = "[";
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new Error(`vector component ${i} is ${x}`);
    out += (i === 0 ? "" : ",") + (x === 0 ? "0" : String(Number(x.toPrecision(9))));
  }
  return `${out}]`;
}

export interface ModelIndex {
  name: string;
  /** pg_relation_size of the index. */
  bytes: number;
}

/**
 * The model's HNSW index, found by its definition rather than its name: the first model's index was created by the
 * initial migration under a name of its own.
 */
export async function findModelIndex(db: Sql, modelId: string): Promise<ModelIndex | null> {
  const rows = await db.$queryRaw<{ name: string; bytes: bigint }[]>`
    SELECT i.indexname AS name, pg_relation_size(format('%I', i.indexname)::regclass) AS bytes
    FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename = 'embeddings'
      AND i.indexdef LIKE '%hnsw%' AND i.indexdef LIKE ${`%model_id = ${modelLiteral(modelId)}%`}
    ORDER BY i.indexname LIMIT 1`;
  const row = rows[0];
  return row ? { name: row.name, bytes: Number(row.bytes) } : null;
}

export interface IndexBuildOptions {
  /** HNSW graph degree; the app's indexes use 16. */
  m?: number;
  /** Candidate list while building; the app's indexes use 64. */
  efConstruction?: number;
  /**
   * Memory for the build, e.g. "1GB". A graph that does not fit in maintenance_work_mem builds many times slower;
   * the server default (64 MB) holds about 10k x 1280-d vectors.
   */
  maintenanceWorkMem?: string;
}

/** Creates the model's HNSW index unless one exists. Returns whether it built one. */
export async function createModelIndex(
  db: Db,
  model: { id: string; dims: number },
  options: IndexBuildOptions = {},
): Promise<boolean> {
  assertDims(model.dims);
  if (await findModelIndex(db, model.id)) return false;
  const m = options.m ?? 16;
  const ef = options.efConstruction ?? 64;
  if (!Number.isInteger(m) || m < 2 || m > 100 || !Number.isInteger(ef) || ef < 4 || ef > 1000) {
    throw new Error(`HNSW parameters out of range: m=${m}, ef_construction=${ef}`);
  }
  const mem = options.maintenanceWorkMem;
  if (mem !== undefined && !/^\d+\s*(kB|MB|GB)$/.test(mem)) throw new Error(`not a memory size: ${mem}`);
  const ddl =
    `CREATE INDEX IF NOT EXISTS "${indexName(model.id)}" ON "embeddings" ` +
    `USING hnsw (("vector"::vector(${model.dims})) vector_cosine_ops) WITH (m = ${m}, ef_construction = ${ef}) ` +
    `WHERE "model_id" = ${modelLiteral(model.id)}`;
  if (mem === undefined) {
    await db.$executeRawUnsafe(ddl);
  } else {
    // SET LOCAL and the build must share one connection: a transaction pins it. Large builds take minutes.
    await db.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL maintenance_work_mem = '${mem}'`);
        await tx.$executeRawUnsafe(ddl);
      },
      { timeout: 6 * 3600_000, maxWait: 60_000 },
    );
  }
  return true;
}

/**
 * Drops the model's HNSW index (bulk loads: inserting into a live HNSW graph is an order of magnitude slower than
 * building it afterwards). Searches stay correct meanwhile, as exact scans. ensureModel recreates a missing index at
 * the next start, so a crash between drop and rebuild heals itself.
 */
export async function dropModelIndex(db: Db, modelId: string): Promise<boolean> {
  const index = await findModelIndex(db, modelId);
  if (!index) return false;
  await db.$executeRawUnsafe(`DROP INDEX IF EXISTS "${index.name.replace(/"/g, '""')}"`);
  return true;
}

/**
 * Registers a model, or checks that the registered one is the same file (sha256) with the same dimension, and
 * makes sure its HNSW index exists. A mismatch stops start-up: vectors from another file would be garbage here.
 */
export async function ensureModel(db: Db, model: ModelRecord): Promise<void> {
  assertDims(model.dims);
  const existing = await db.model.findUnique({ where: { id: model.id } });
  if (existing && (existing.sha256 !== model.sha256 || existing.dims !== model.dims)) {
    throw new ModelMismatchError(
      `Model ${model.id} on disk (sha256 ${model.sha256.slice(0, 12)}…, ${model.dims} dimensions) differs from the ` +
        `one this database was built with (sha256 ${existing.sha256.slice(0, 12)}…, ${existing.dims} dimensions). ` +
        "Give a retrained model a new id or version in its model.json instead of overwriting the file.",
    );
  }
  if (!existing) {
    try {
      await db.model.create({ data: { id: model.id, sha256: model.sha256, dims: model.dims, card: model.card } });
    } catch (error) {
      // Another process (the web server and the seeding child start together) registered it first: check theirs.
      if (!isUniqueViolation(error)) throw error;
      return ensureModel(db, model);
    }
  }
  try {
    await createModelIndex(db, model);
  } catch (error) {
    // Two concurrent CREATE INDEX IF NOT EXISTS can still collide in the catalog; the other one's index will do.
    if (!(await findModelIndex(db, model.id))) throw error;
  }
}

export async function insertEmbedding(
  db: Sql,
  row: { scanId: string; modelId: string; vector: Float32Array },
): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "embeddings" ("id", "scan_id", "model_id", "vector")
    VALUES (gen_random_uuid(), ${row.scanId}::uuid, ${row.modelId}, ${vectorText(row.vector)}::vector)
    ON CONFLICT ("scan_id", "model_id") DO NOTHING`;
}

/**
 * Many vectors of one model in one statement (reference import, benchmarks). Rows that already have a vector for
 * this model are left alone. Returns the number inserted.
 */
export async function insertEmbeddings(
  db: Sql,
  model: { id: string; dims: number },
  rows: readonly { scanId: string; vector: Float32Array }[],
): Promise<number> {
  assertDims(model.dims);
  if (rows.length === 0) return 0;
  for (const row of rows) {
    // A wrong-sized vector would fail later inside the index cast with a message nobody can place.
    if (row.vector.length !== model.dims) {
      throw new Error(
        `vector for scan ${row.scanId} has ${row.vector.length} dimensions, model ${model.id} has ${model.dims}`,
      );
    }
  }
  const scanIds = rows.map((r) => r.scanId);
  const vectors = rows.map((r) => vectorText(r.vector));
  return db.$executeRaw`
    INSERT INTO "embeddings" ("id", "scan_id", "model_id", "vector")
    SELECT gen_random_uuid(), t.scan_id, ${model.id}, t.v::vector
    FROM unnest(${scanIds}::uuid[], ${vectors}::text[]) AS t(scan_id, v)
    ON CONFLICT ("scan_id", "model_id") DO NOTHING`;
}

/**
 * Bulk load for benchmarks and very large imports: the vectors travel in pgvector's binary format (a `vector[]`
 * parameter, which node-postgres sends as binary because it is a Buffer), skipping float-to-text formatting and
 * parsing, which dominate a text load (about 1 us per component on this machine). Needs a plain `pg` client:
 * Prisma sends parameters as text only.
 */
export async function insertEmbeddingsBinary(
  client: pg.ClientBase | pg.Pool,
  model: { id: string; dims: number },
  rows: readonly { scanId: string; vector: Float32Array }[],
): Promise<number> {
  assertDims(model.dims);
  if (rows.length === 0) return 0;
  const oid = await client.query<{ oid: number }>(`SELECT 'vector'::regtype::oid AS oid`);
  const elementType = Number(oid.rows[0]!.oid);
  const itemBytes = 4 + model.dims * 4;
  // Postgres binary array: ndim, has-nulls flag, element type, (length, lower bound) per dimension, then each
  // element as (byte length, bytes). A vector element: int16 dims, int16 unused, float4 x dims, all big-endian.
  const buf = Buffer.alloc(20 + rows.length * (4 + itemBytes));
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(0, 4);
  buf.writeUInt32BE(elementType, 8);
  buf.writeInt32BE(rows.length, 12);
  buf.writeInt32BE(1, 16);
  let at = 20;
  for (const row of rows) {
    if (row.vector.length !== model.dims) {
      throw new Error(
        `vector for scan ${row.scanId} has ${row.vector.length} dimensions, model ${model.id} has ${model.dims}`,
      );
    }
    buf.writeInt32BE(itemBytes, at);
    buf.writeInt16BE(model.dims, at + 4);
    buf.writeInt16BE(0, at + 6);
    at += 8;
    for (let i = 0; i < model.dims; i++, at += 4) buf.writeFloatBE(row.vector[i]!, at);
  }
  const result = await client.query(
    `INSERT INTO "embeddings" ("id", "scan_id", "model_id", "vector")
     SELECT gen_random_uuid(), t.scan_id, $2, t.v
     FROM unnest($1::uuid[], $3::vector[]) AS t(scan_id, v)
     ON CONFLICT ("scan_id", "model_id") DO NOTHING`,
    [rows.map((r) => r.scanId), model.id, buf],
  );
  return result.rowCount ?? 0;
}

export async function embeddingOf(db: Sql, scanId: string, modelId: string): Promise<Float32Array | null> {
  const rows = await db.$queryRaw<{ vector: string }[]>`
    SELECT "vector"::text AS vector FROM "embeddings" WHERE "scan_id" = ${scanId}::uuid AND "model_id" = ${modelId}`;
  const text = rows[0]?.vector;
  return text ? Float32Array.from(pgvector.fromSql(text) as number[]) : null;
}

export const REFERENCE_CLASSES = ["healthy", "infected", "severe"] as const;
export type ReferenceClass = (typeof REFERENCE_CLASSES)[number];

/** Vectors of reference scans of one model, in scan id order (recall checks, benchmarks). */
export async function referenceVectors(
  db: Sql,
  modelId: string,
  options: { limit?: number } = {},
): Promise<{ scanId: string; vector: Float32Array }[]> {
  const limit = Math.max(1, Math.min(options.limit ?? 100_000, 1_000_000));
  const rows = await db.$queryRaw<{ scan_id: string; vector: string }[]>`
    SELECT e."scan_id", e."vector"::text AS vector
    FROM "embeddings" e JOIN "reference_labels" r ON r."scan_id" = e."scan_id"
    WHERE e."model_id" = ${modelId}
    ORDER BY e."scan_id" LIMIT ${limit}`;
  return rows.map((r) => ({ scanId: r.scan_id, vector: Float32Array.from(pgvector.fromSql(r.vector) as number[]) }));
}

export interface NeighbourRow {
  scanId: string;
  class: ReferenceClass;
  distance: number;
  storageKey: string;
}

export interface NeighbourQuery {
  modelId: string;
  dims: number;
  vector: Float32Array;
  k: number;
  /** Reference scans never to return: the query scan itself, and copies of the patient's own images. */
  excludeScanIds?: string[];
  excludeSha256?: string[];
  classes?: ReferenceClass[];
  /** HNSW candidate list; default max(100, 2k). Higher: better recall, slower. */
  efSearch?: number;
  /**
   * "auto" lets the planner choose (an exact scan is right for small libraries); "index" forbids sequential
   * scans so the HNSW path runs even on a small table (recall tests, benchmarks).
   */
  plan?: "auto" | "index";
}

function clampK(k: number): number {
  if (!Number.isInteger(k)) throw new Error(`k must be a whole number, got ${k}`);
  return Math.max(1, Math.min(k, 200));
}

type Distance = "indexed" | "exact";

/**
 * The neighbour query. "indexed" orders by the same expression as the model's HNSW index (so the planner can walk
 * it); "exact" orders by the uncast column, which no index matches, so it is always a full scan and sort.
 */
function neighbourSql(q: NeighbourQuery, k: number, distance: Distance): Prisma.Sql {
  assertDims(q.dims);
  if (q.vector.length !== q.dims) {
    throw new Error(`query vector has ${q.vector.length} dimensions, model ${q.modelId} has ${q.dims}`);
  }
  const vec = vectorText(q.vector);
  const excludeIds = q.excludeScanIds ?? [];
  const excludeSha = q.excludeSha256 ?? [];
  const classes = q.classes && q.classes.length > 0 ? q.classes : [...REFERENCE_CLASSES];
  const cast = Prisma.raw(`::vector(${q.dims})`);
  const expr =
    distance === "indexed"
      ? Prisma.sql`e."vector"${cast} <=> ${vec}${cast}`
      : Prisma.sql`e."vector" <=> ${vec}::vector`;
  // Classes compare as the enum, not as text: a cast column has no statistics, and the planner, believing the filter
  // keeps ~1% of rows, would sort those few instead of walking the index.
  // The model id is spliced as a literal: a bind parameter would keep the planner from proving the partial index's
  // predicate (model_id = '...') in a generic plan.
  const model = Prisma.raw(modelLiteral(q.modelId));
  return Prisma.sql`
    SELECT n.scan_id, n.class, n.distance, n.storage_key FROM (
      SELECT e."scan_id", r."class"::text AS class, s."storage_key", (${expr}) AS distance
      FROM "embeddings" e
      JOIN "reference_labels" r ON r."scan_id" = e."scan_id"
      JOIN "scans" s ON s."id" = e."scan_id"
      WHERE e."model_id" = ${model}
        AND r."class" = ANY(${classes}::"ReferenceClass"[])
        AND NOT (e."scan_id" = ANY(${excludeIds}::uuid[]))
        AND NOT (s."sha256" = ANY(${excludeSha}))
      ORDER BY ${expr}
      LIMIT ${k}
    ) n ORDER BY n.distance, n.scan_id`;
}

type RawNeighbour = { scan_id: string; class: ReferenceClass; distance: number; storage_key: string };

function toRows(rows: RawNeighbour[]): NeighbourRow[] {
  return rows.map((r) => ({
    scanId: r.scan_id,
    class: r.class,
    distance: Number(r.distance),
    storageKey: r.storage_key,
  }));
}

/**
 * Session settings for an indexed search, as SET LOCAL statements: they must run in the same transaction as the
 * query, and end with it.
 */
function indexedSearchSettings(q: NeighbourQuery, k: number): string[] {
  const ef = Math.max(1, Math.min(Math.round(q.efSearch ?? Math.max(100, k * 2)), 1000));
  const settings = [
    // relaxed_order: when filters (class, exclusions, rows of patient scans sharing the index) reject candidates,
    // the index scan goes on past ef_search instead of returning fewer than k rows. Results may come slightly out
    // of order, hence the outer ORDER BY.
    `SET LOCAL hnsw.iterative_scan = relaxed_order`,
    `SET LOCAL hnsw.ef_search = ${ef}`,
  ];
  if (classFilter(q)) {
    // A class can sit far from the query in the graph (a healthy film asking for severe neighbours): the default
    // cap of 20,000 visited tuples then ends the scan with few or no rows (measured: docs/benchmarks.md).
    settings.push(`SET LOCAL hnsw.max_scan_tuples = ${FILTERED_MAX_SCAN_TUPLES}`);
  }
  if (q.plan === "index") {
    // Every other plan needs a sort on the distance; making sorts (and scans) look dear leaves the HNSW walk.
    settings.push(`SET LOCAL enable_seqscan = off`, `SET LOCAL enable_sort = off`);
  }
  return settings;
}

/** Vector components an exact filtered search may read before the index is the better bet (~0.1 s here). */
const EXACT_FILTERED_BUDGET = 16_000_000;
const FILTERED_MAX_SCAN_TUPLES = 200_000;

/** The classes asked for when they are a strict subset of all classes; null when the query is unfiltered. */
function classFilter(q: NeighbourQuery): ReferenceClass[] | null {
  const classes = q.classes ? [...new Set(q.classes)] : [];
  return classes.length > 0 && classes.length < REFERENCE_CLASSES.length ? classes : null;
}

async function countReferences(db: Db, classes: ReferenceClass[]): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "reference_labels" WHERE "class" = ANY(${classes}::"ReferenceClass"[])`;
  return Number(rows[0]?.n ?? 0);
}

/**
 * The k nearest reference scans by cosine distance, through the model's HNSW index. Filters (excluded scans,
 * classes, non-reference rows sharing the index) are applied during the scan with pgvector's iterative index
 * scan, so a filtered query still returns k rows when k exist. A class filter that leaves few enough vectors is
 * answered exactly instead: an HNSW walk from a query far from that class is slower than reading the class, and
 * approximate (recall 0.23-0.35 at 100k, docs/benchmarks.md).
 */
export async function nearestReferences(db: Db, q: NeighbourQuery): Promise<NeighbourRow[]> {
  const k = clampK(q.k);
  const classes = classFilter(q);
  if (classes && q.plan !== "index" && (await countReferences(db, classes)) * q.dims <= EXACT_FILTERED_BUDGET) {
    return exactNearestReferences(db, q);
  }
  const sql = neighbourSql(q, k, "indexed");
  // A batch transaction, not an interactive one: one client round of statements, measurably cheaper per query.
  const results = await db.$transaction([
    ...indexedSearchSettings(q, k).map((statement) => db.$executeRawUnsafe(statement)),
    db.$queryRaw<RawNeighbour[]>(sql),
  ]);
  return toRows(results.at(-1) as RawNeighbour[]);
}

/** Exact k nearest reference scans (full scan and sort, no index): the ground truth for recall checks. */
export async function exactNearestReferences(db: Sql, q: NeighbourQuery): Promise<NeighbourRow[]> {
  const k = clampK(q.k);
  return toRows(await db.$queryRaw<RawNeighbour[]>(neighbourSql(q, k, "exact")));
}

/** The plan nearestReferences gets (EXPLAIN lines), to check in tests that the HNSW index is really used. */
export async function explainNearestReferences(db: Db, q: NeighbourQuery, exact = false): Promise<string[]> {
  const k = clampK(q.k);
  const sql = neighbourSql(q, k, exact ? "exact" : "indexed");
  const results = await db.$transaction([
    ...(exact ? [] : indexedSearchSettings(q, k)).map((statement) => db.$executeRawUnsafe(statement)),
    db.$queryRaw<Record<string, string>[]>(Prisma.sql`EXPLAIN ${sql}`),
  ]);
  return (results.at(-1) as Record<string, string>[]).map((r) => Object.values(r)[0] ?? "");
}

/** Refreshes planner statistics after a bulk load (PGlite runs no autovacuum, so nobody else will). */
export async function analyzeVectorTables(db: Sql): Promise<void> {
  await db.$executeRawUnsafe(`ANALYZE "embeddings", "scans", "reference_labels"`);
}
