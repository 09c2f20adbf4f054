// Every SQL statement that reads or writes a vector. Prisma cannot type `vector` columns, so they go through raw
// SQL here and nowhere else. Vectors of different models never meet: each model has its own partial HNSW index on
// `vector::vector(dims)`, plus one per (model, reference class) for class filters, and every query names its model.
import type pg from "pg";
import pgvector from "pgvector";
import { REFERENCE_CLASSES, type ReferenceClass } from "@/lib/domain";
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

function indexName(modelId: string, cls?: ReferenceClass): string {
  const base = `embeddings_hnsw_${modelId.toLowerCase().replace(/[^a-z0-9]+/g, "_")}`;
  // The class suffix survives truncation: a long model id must not give its class indexes one name.
  return cls ? `${base.slice(0, 62 - cls.length)}_${cls}` : base.slice(0, 63);
}

/** SQL string literal of a model id, for the partial-index predicate (DDL takes no bind parameters). */
function modelLiteral(modelId: string): string {
  return `'${modelId.replace(/'/g, "''")}'`;
}

/** SQL literal of a class, checked against the enum's values (it is spliced into DDL and queries). */
function classLiteral(cls: ReferenceClass): string {
  if (!REFERENCE_CLASSES.includes(cls)) throw new Error(`not a reference class: ${String(cls)}`);
  return `'${cls}'`;
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

export interface ModelIndexes {
  /** The model's index over all its vectors (unfiltered searches). */
  all: ModelIndex | null;
  /** One per reference class, over the vectors of reference scans of that class only (class-filtered searches). */
  byClass: Partial<Record<ReferenceClass, ModelIndex>>;
}

/**
 * The model's HNSW indexes, found by their definitions rather than their names: the first model's index was created
 * by the initial migration under a name of its own.
 */
export async function findModelIndexes(db: Sql, modelId: string): Promise<ModelIndexes> {
  const rows = await db.$queryRaw<{ name: string; bytes: bigint; class: string | null }[]>`
    SELECT i.indexname AS name, pg_relation_size(format('%I', i.indexname)::regclass) AS bytes,
           substring(i.indexdef from 'reference_class = ''([a-z]+)''') AS class
    FROM pg_indexes i
    WHERE i.schemaname = current_schema() AND i.tablename = 'embeddings'
      AND i.indexdef LIKE '%hnsw%' AND i.indexdef LIKE ${`%model_id = ${modelLiteral(modelId)}%`}
    ORDER BY i.indexname`;
  const found: ModelIndexes = { all: null, byClass: {} };
  for (const row of rows) {
    const index = { name: row.name, bytes: Number(row.bytes) };
    const cls = REFERENCE_CLASSES.find((c) => c === row.class);
    if (cls) found.byClass[cls] ??= index;
    else if (row.class === null) found.all ??= index;
  }
  return found;
}

/** The model's index over all its vectors (the one unfiltered searches walk). */
export async function findModelIndex(db: Sql, modelId: string): Promise<ModelIndex | null> {
  return (await findModelIndexes(db, modelId)).all;
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

/** One of a model's indexes: the one over all its vectors, or the one of a reference class. */
export type IndexScope = "all" | ReferenceClass;

function indexDdl(model: { id: string; dims: number }, scope: IndexScope, options: IndexBuildOptions): string {
  assertDims(model.dims);
  const m = options.m ?? 16;
  const ef = options.efConstruction ?? 64;
  if (!Number.isInteger(m) || m < 2 || m > 100 || !Number.isInteger(ef) || ef < 4 || ef > 1000) {
    throw new Error(`HNSW parameters out of range: m=${m}, ef_construction=${ef}`);
  }
  const cls = scope === "all" ? undefined : scope;
  const predicate =
    `"model_id" = ${modelLiteral(model.id)}` + (cls ? ` AND "reference_class" = ${classLiteral(cls)}` : "");
  return (
    `CREATE INDEX IF NOT EXISTS "${indexName(model.id, cls)}" ON "embeddings" ` +
    `USING hnsw (("vector"::vector(${model.dims})) vector_cosine_ops) WITH (m = ${m}, ef_construction = ${ef}) ` +
    `WHERE ${predicate}`
  );
}

async function runIndexDdl(db: Db, ddl: string, mem: string | undefined): Promise<void> {
  if (mem !== undefined && !/^\d+\s*(kB|MB|GB)$/.test(mem)) throw new Error(`not a memory size: ${mem}`);
  if (mem === undefined) {
    await db.$executeRawUnsafe(ddl);
    return;
  }
  // SET LOCAL and the build must share one connection: a transaction pins it. Large builds take minutes.
  await db.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL maintenance_work_mem = '${mem}'`);
      await tx.$executeRawUnsafe(ddl);
    },
    { timeout: 6 * 3600_000, maxWait: 60_000 },
  );
}

/**
 * Creates one of the model's indexes unless it exists; returns whether it built it. Most callers want
 * createModelIndexes; this one lets benchmarks time each build.
 */
export async function createModelIndex(
  db: Db,
  model: { id: string; dims: number },
  options: IndexBuildOptions & { scope?: IndexScope } = {},
): Promise<boolean> {
  const scope = options.scope ?? "all";
  const existing = await findModelIndexes(db, model.id);
  if (scope === "all" ? existing.all : existing.byClass[scope]) return false;
  await runIndexDdl(db, indexDdl(model, scope, options), options.maintenanceWorkMem);
  return true;
}

/**
 * Creates whichever of the model's indexes are missing: the one over all its vectors and one per reference class.
 * Returns how many it built.
 */
export async function createModelIndexes(
  db: Db,
  model: { id: string; dims: number },
  options: IndexBuildOptions = {},
): Promise<number> {
  let built = 0;
  for (const scope of ["all", ...REFERENCE_CLASSES] as const) {
    if (await createModelIndex(db, model, { ...options, scope })) built++;
  }
  return built;
}

/** Whether the model has its index over all vectors and one per class. */
export async function hasAllModelIndexes(db: Sql, modelId: string): Promise<boolean> {
  const { all, byClass } = await findModelIndexes(db, modelId);
  return all !== null && REFERENCE_CLASSES.every((c) => byClass[c]);
}

/**
 * Drops all of the model's HNSW indexes (bulk loads: inserting into a live HNSW graph is an order of magnitude
 * slower than building it afterwards, and a reference vector goes into two graphs). Searches stay correct
 * meanwhile, as exact scans. ensureModel recreates missing indexes at the next start, so a crash between drop and
 * rebuild heals itself. Returns how many it dropped.
 */
export async function dropModelIndexes(db: Db, modelId: string): Promise<number> {
  const { all, byClass } = await findModelIndexes(db, modelId);
  const indexes = [all, ...Object.values(byClass)].filter((i): i is ModelIndex => !!i);
  for (const index of indexes) {
    await db.$executeRawUnsafe(`DROP INDEX IF EXISTS "${index.name.replace(/"/g, '""')}"`);
  }
  return indexes.length;
}

/**
 * Registers a model, or checks that the registered one is the same file (sha256) with the same dimension, and
 * makes sure its HNSW indexes exist: its own and one per class (the first start after the upgrade builds the class
 * indexes of the active model; a new model gets all four while it has no vectors, and re-embedding fills them). A
 * mismatch stops start-up: vectors from another file would be garbage here.
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
    await createModelIndexes(db, model);
  } catch (error) {
    // Two concurrent CREATE INDEX IF NOT EXISTS can still collide in the catalog; the other one's index will do.
    if (!(await hasAllModelIndexes(db, model.id))) throw error;
  }
}

/**
 * Many vectors of one model in one statement (reference import, benchmarks). Rows that already have a vector for
 * this model are left alone. Returns the number inserted.
 */
/** The model's extent estimate stored beside the vector (null columns for a model without an extent head). */
export interface StoredExtent {
  value: number;
  lo: number;
  hi: number;
}

export async function insertEmbeddings(
  db: Sql,
  model: { id: string; dims: number },
  rows: readonly { scanId: string; vector: Float32Array; extent?: StoredExtent }[],
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
  const extent = rows.map((r) => r.extent?.value ?? null);
  const lo = rows.map((r) => r.extent?.lo ?? null);
  const hi = rows.map((r) => r.extent?.hi ?? null);
  return db.$executeRaw`
    INSERT INTO "embeddings" ("id", "scan_id", "model_id", "vector", "extent", "extent_lo", "extent_hi")
    SELECT gen_random_uuid(), t.scan_id, ${model.id}, t.v::vector, t.x, t.lo, t.hi
    FROM unnest(${scanIds}::uuid[], ${vectors}::text[], ${extent}::float8[], ${lo}::float8[], ${hi}::float8[])
      AS t(scan_id, v, x, lo, hi)
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

/** The classes asked for when they are a strict subset of all classes; null when the query is unfiltered. */
function classFilter(q: NeighbourQuery): ReferenceClass[] | null {
  const classes = REFERENCE_CLASSES.filter((c) => q.classes?.includes(c));
  return classes.length > 0 && classes.length < REFERENCE_CLASSES.length ? classes : null;
}

/**
 * The neighbour query. "indexed" orders by the same expression as the model's HNSW indexes, so the planner can walk
 * them: unfiltered, the model's index; filtered, each class's own index (one branch per class, merged). "exact"
 * orders by the uncast column, which no index matches, so it is always a scan and sort.
 */
function neighbourSql(q: NeighbourQuery, k: number, distance: Distance): Prisma.Sql {
  assertDims(q.dims);
  if (q.vector.length !== q.dims) {
    throw new Error(`query vector has ${q.vector.length} dimensions, model ${q.modelId} has ${q.dims}`);
  }
  const vec = vectorText(q.vector);
  const excludeIds = q.excludeScanIds ?? [];
  const excludeSha = q.excludeSha256 ?? [];
  const cast = Prisma.raw(`::vector(${q.dims})`);
  const expr =
    distance === "indexed"
      ? Prisma.sql`e."vector"${cast} <=> ${vec}${cast}`
      : Prisma.sql`e."vector" <=> ${vec}::vector`;
  // Model id and class are spliced as literals: with bind parameters the planner could not prove a partial index's
  // predicate (model_id = '...' AND reference_class = '...') in a generic plan. A non-null class is what makes a
  // vector a reference scan's.
  const model = Prisma.raw(modelLiteral(q.modelId));
  const branch = (classes: Prisma.Sql) => Prisma.sql`
      SELECT e."scan_id", e."reference_class"::text AS class, s."storage_key", (${expr}) AS distance
      FROM "embeddings" e
      JOIN "scans" s ON s."id" = e."scan_id"
      WHERE e."model_id" = ${model}
        AND ${classes}
        AND NOT (e."scan_id" = ANY(${excludeIds}::uuid[]))
        AND NOT (s."sha256" = ANY(${excludeSha}))
        AND s."withdrawn_at" IS NULL
      ORDER BY ${expr}
      LIMIT ${k}`;
  const filter = classFilter(q);
  let branches: Prisma.Sql[];
  if (!filter) {
    branches = [branch(Prisma.sql`e."reference_class" IS NOT NULL`)];
  } else if (distance === "exact") {
    branches = [branch(Prisma.raw(`e."reference_class" IN (${filter.map(classLiteral).join(", ")})`))];
  } else {
    // One index walk per class, each the k nearest of its class: together they hold the k nearest of the classes.
    branches = filter.map((c) => branch(Prisma.raw(`e."reference_class" = ${classLiteral(c)}`)));
  }
  return Prisma.sql`
    SELECT n.scan_id, n.class, n.distance, n.storage_key FROM (${Prisma.join(
      branches.map((b) => Prisma.sql`(${b})`),
      " UNION ALL ",
    )}) n
    ORDER BY n.distance, n.scan_id
    LIMIT ${k}`;
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
    // relaxed_order: when filters (exclusions, rows of patient scans sharing the model's index) reject candidates,
    // the index scan goes on past ef_search instead of returning fewer than k rows. Results may come slightly out
    // of order, hence the outer ORDER BY.
    `SET LOCAL hnsw.iterative_scan = relaxed_order`,
    `SET LOCAL hnsw.ef_search = ${ef}`,
  ];
  if (classFilter(q)) {
    // Only matters while a class index is missing (dropped for a bulk load, not yet built after an upgrade): the
    // planner then filters the model's index by class, and a class far from the query in that graph needs many
    // visited tuples (pgvector's default cap of 20,000 returned 0-36 rows, docs/benchmarks.md).
    settings.push(`SET LOCAL hnsw.max_scan_tuples = ${FILTERED_MAX_SCAN_TUPLES}`);
  }
  if (q.plan === "index") {
    // Every other plan needs a sort on the distance; making sorts (and scans) look dear leaves the HNSW walk.
    settings.push(`SET LOCAL enable_seqscan = off`, `SET LOCAL enable_sort = off`);
  }
  return settings;
}

const FILTERED_MAX_SCAN_TUPLES = 200_000;

/**
 * The k nearest reference scans by cosine distance. Unfiltered, through the model's HNSW index; filtered to classes,
 * through each class's own HNSW index (a partial index on embeddings.reference_class), so a filter costs about what
 * an unfiltered search does and every row the walk meets is of the class. The remaining filters (excluded scans,
 * copies of the patient's films) are applied during the walk with pgvector's iterative index scan, so a query still
 * returns k rows when k exist. There is no separate exact path for small classes any more: with its own index even
 * a class of 1,200 vectors is searched faster than it is read (bench:knn, docs/benchmarks.md), and for a tiny class
 * the planner picks the btree on (model_id, reference_class) and a sort by itself.
 */
export async function nearestReferences(db: Db, q: NeighbourQuery): Promise<NeighbourRow[]> {
  const k = clampK(q.k);
  const sql = neighbourSql(q, k, "indexed");
  // A batch transaction, not an interactive one: one client round of statements, measurably cheaper per query.
  const results = await db.$transaction([
    ...indexedSearchSettings(q, k).map((statement) => db.$executeRawUnsafe(statement)),
    db.$queryRaw<RawNeighbour[]>(sql),
  ]);
  return toRows(results.at(-1) as RawNeighbour[]);
}

/** Exact k nearest reference scans (scan and sort, no HNSW index): the ground truth for recall checks. */
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

export interface ReciprocalRank {
  scanId: string;
  /** Reference films (the neighbour and the query excluded) farther from the neighbour than the query is. */
  farther: number;
  /** Reference films compared (the neighbour and the query excluded). */
  total: number;
}

/**
 * For each neighbour n of a query q: how many reference films lie farther from n than q does. A neighbour for which
 * the query is among its own closest films scores near the whole library; one for which many films are closer than
 * the query scores lower, even when both cosines round to 1.000. Exact (one distance per neighbour and reference
 * film): about k x library distances, no index can answer it.
 */
export async function reciprocalRanks(
  db: Sql,
  q: { modelId: string; dims: number; vector: Float32Array; neighbourIds: string[]; excludeScanIds: string[] },
): Promise<ReciprocalRank[]> {
  assertDims(q.dims);
  if (q.neighbourIds.length === 0) return [];
  const vec = vectorText(q.vector);
  const model = Prisma.raw(modelLiteral(q.modelId));
  const rows = await db.$queryRaw<{ scan_id: string; farther: number; total: number }[]>`
    WITH n AS (
      SELECT e."scan_id", e."vector", (e."vector" <=> ${vec}::vector) AS dq
      FROM "embeddings" e
      WHERE e."model_id" = ${model} AND e."scan_id" = ANY(${q.neighbourIds}::uuid[])
    )
    SELECT n."scan_id",
      (count(*) FILTER (WHERE (r."vector" <=> n."vector") > n.dq))::int AS farther,
      count(*)::int AS total
    FROM n
    JOIN "embeddings" r ON r."model_id" = ${model} AND r."reference_class" IS NOT NULL
      AND r."scan_id" <> n."scan_id" AND NOT (r."scan_id" = ANY(${q.excludeScanIds}::uuid[]))
    GROUP BY n."scan_id"`;
  return rows.map((r) => ({ scanId: r.scan_id, farther: Number(r.farther), total: Number(r.total) }));
}
