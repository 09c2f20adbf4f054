// After the active model changes, every stored scan (patients' and references') gets a vector of the new model,
// computed from its stored original with the same decoding as at upload. Until a scan has one, it takes part in no
// search of the new model: the two models' vectors are never compared.
// The stored originals are this step's image source; decoding and embedding are the ingest pipeline's (pipeline.ts),
// with every film a backfill (its files and scan row exist, only the vector is written).
import type { Db } from "@/lib/db/client";
import { insertEmbeddings } from "@/lib/db/vector-sql";
import { scanStore } from "@/lib/storage";
import type { ScanStore } from "@/lib/storage/scan-store";
import type { ActiveModel } from "./active-model";
import { prepareFilms, writeFilms, type FilmIn } from "./pipeline";

export async function scansMissingEmbedding(db: Db, modelId: string): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "scans" s
    WHERE NOT EXISTS (SELECT 1 FROM "embeddings" e WHERE e."scan_id" = s."id" AND e."model_id" = ${modelId})`;
  return Number(rows[0]?.n ?? 0);
}

export interface ReembedSummary {
  embedded: number;
  failed: { scanId: string; reason: string }[];
}

export async function reembedMissing(
  db: Db,
  model: ActiveModel,
  options: { batch?: number; store?: ScanStore; log?: (line: string) => void; deadline?: number } = {},
): Promise<ReembedSummary> {
  const batch = options.batch ?? 16;
  const store = options.store ?? scanStore();
  const log = options.log ?? (() => {});
  const summary: ReembedSummary = { embedded: 0, failed: [] };
  const failedIds = new Set<string>();
  for (;;) {
    const scans = await db.$queryRaw<{ id: string; storage_key: string; sha256: string }[]>`
      SELECT s."id", s."storage_key", s."sha256" FROM "scans" s
      WHERE NOT EXISTS (SELECT 1 FROM "embeddings" e WHERE e."scan_id" = s."id" AND e."model_id" = ${model.id})
        AND NOT (s."id" = ANY(${[...failedIds]}::uuid[]))
      ORDER BY s."created_at" LIMIT ${batch}`;
    if (scans.length === 0) break;
    const fail = (scanId: string, error: unknown) => {
      failedIds.add(scanId);
      summary.failed.push({ scanId, reason: (error as Error).message });
    };
    const films: FilmIn<null>[] = [];
    for (const scan of scans) {
      try {
        const bytes = await store.readOriginal(scan.storage_key);
        films.push({ meta: null, bytes, sha256: scan.sha256, existingScanId: scan.id });
      } catch (error) {
        fail(scan.id, error);
      }
    }
    const prepared = await prepareFilms(films, { concurrency: 2 });
    for (const r of prepared.refused) fail(films[r.index]!.existingScanId!, r.error);
    await writeFilms(prepared.films, {
      db,
      store,
      record: async (tx, done) => {
        await insertEmbeddings(
          tx,
          model,
          done.map((f) => ({ scanId: f.existingScanId!, vector: f.vector, extent: f.extent })),
        );
        return done.map(() => null);
      },
      onBatchFailure: "throw",
    });
    const decoded = prepared.films;
    summary.embedded += decoded.length;
    if (summary.embedded % (batch * 20) < batch) log(`re-embedding for ${model.id}: ${summary.embedded} scans done`);
    if (options.deadline !== undefined && Date.now() >= options.deadline) break;
  }
  return summary;
}
