// Every SQL statement that reads or writes a vector. Prisma cannot type `vector` columns, so they go through raw
// SQL here and nowhere else. Vectors of different models never meet: each model has its own partial HNSW index on
// `vector::vector(dims)` and every query names its model.
import pgvector from "pgvector";
import type { Db } from "./client";
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
    await db.model.create({ data: { id: model.id, sha256: model.sha256, dims: model.dims, card: model.card } });
  }
  const literal = model.id.replace(/'/g, "''");
  const found = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM pg_indexes
    WHERE tablename = 'embeddings' AND indexdef LIKE '%hnsw%' AND indexdef LIKE ${`%model_id = '${literal}'%`}`;
  if (Number(found[0]?.n ?? 0) === 0) {
    await db.$executeRawUnsafe(
      `CREATE INDEX IF NOT EXISTS "${indexName(model.id)}" ON "embeddings" ` +
        `USING hnsw (("vector"::vector(${model.dims})) vector_cosine_ops) WITH (m = 16, ef_construction = 64) ` +
        `WHERE "model_id" = '${literal}'`,
    );
  }
}

export async function insertEmbedding(
  db: Sql,
  row: { scanId: string; modelId: string; vector: Float32Array },
): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "embeddings" ("id", "scan_id", "model_id", "vector")
    VALUES (gen_random_uuid(), ${row.scanId}::uuid, ${row.modelId}, ${pgvector.toSql(Array.from(row.vector))}::vector)
    ON CONFLICT ("scan_id", "model_id") DO NOTHING`;
}

export async function embeddingOf(db: Sql, scanId: string, modelId: string): Promise<Float32Array | null> {
  const rows = await db.$queryRaw<{ vector: string }[]>`
    SELECT "vector"::text AS vector FROM "embeddings" WHERE "scan_id" = ${scanId}::uuid AND "model_id" = ${modelId}`;
  const text = rows[0]?.vector;
  return text ? Float32Array.from(pgvector.fromSql(text) as number[]) : null;
}

export type ReferenceClass = "healthy" | "infected" | "severe";

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
}

/**
 * The k nearest reference scans by cosine distance, through the model's HNSW index. Filters (excluded scans,
 * classes, non-reference rows sharing the index) are applied during the scan with pgvector's iterative index
 * scan, so a filtered query still returns k rows when k exist.
 */
export async function nearestReferences(db: Db, q: NeighbourQuery): Promise<NeighbourRow[]> {
  assertDims(q.dims);
  const k = Math.max(1, Math.min(q.k, 200));
  const vec = pgvector.toSql(Array.from(q.vector));
  const excludeIds = q.excludeScanIds ?? [];
  const excludeSha = q.excludeSha256 ?? [];
  const classes = q.classes ?? ["healthy", "infected", "severe"];
  const cast = Prisma.raw(`::vector(${q.dims})`);
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
    await tx.$executeRawUnsafe(`SET LOCAL hnsw.ef_search = ${Math.max(100, k * 2)}`);
    const rows = await tx.$queryRaw<{ scan_id: string; class: ReferenceClass; distance: number; storage_key: string }[]>`
      SELECT n.scan_id, n.class, n.distance, n.storage_key FROM (
        SELECT e."scan_id", r."class"::text AS class, s."storage_key",
               (e."vector"${cast} <=> ${vec}${cast}) AS distance
        FROM "embeddings" e
        JOIN "reference_labels" r ON r."scan_id" = e."scan_id"
        JOIN "scans" s ON s."id" = e."scan_id"
        WHERE e."model_id" = ${q.modelId}
          AND r."class"::text = ANY(${classes})
          AND NOT (e."scan_id" = ANY(${excludeIds}::uuid[]))
          AND NOT (s."sha256" = ANY(${excludeSha}))
        ORDER BY e."vector"${cast} <=> ${vec}${cast}
        LIMIT ${k}
      ) n ORDER BY n.distance, n.scan_id`;
    return rows.map((r) => ({ scanId: r.scan_id, class: r.class, distance: Number(r.distance), storageKey: r.storage_key }));
  });
}
