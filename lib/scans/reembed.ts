// After the active model changes, every stored scan (patients' and references') gets a vector of the new model,
// computed from its stored original with the same decoding as at upload. Until a scan has one, it takes part in no
// search of the new model: the two models' vectors are never compared.
import type { Db } from "@/lib/db/client";
import { insertEmbedding } from "@/lib/db/vector-sql";
import { embedImages } from "@/lib/embedding";
import { decodeScan } from "@/lib/image";
import type { ScanStore } from "@/lib/storage/scan-store";
import type { ActiveModel } from "./active-model";
import { uploadLimits } from "@/lib/config";
import { scanStore } from "./ingest";

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
  options: { batch?: number; store?: ScanStore; log?: (line: string) => void } = {},
): Promise<ReembedSummary> {
  const batch = options.batch ?? 16;
  const store = options.store ?? scanStore();
  const log = options.log ?? (() => {});
  const summary: ReembedSummary = { embedded: 0, failed: [] };
  const failedIds = new Set<string>();
  for (;;) {
    const scans = await db.$queryRaw<{ id: string; storage_key: string }[]>`
      SELECT s."id", s."storage_key" FROM "scans" s
      WHERE NOT EXISTS (SELECT 1 FROM "embeddings" e WHERE e."scan_id" = s."id" AND e."model_id" = ${model.id})
        AND NOT (s."id" = ANY(${[...failedIds]}::uuid[]))
      ORDER BY s."created_at" LIMIT ${batch}`;
    if (scans.length === 0) break;
    const decoded = [];
    for (const scan of scans) {
      try {
        decoded.push({ scan, image: await decodeScan(await store.readOriginal(scan.storage_key), uploadLimits()) });
      } catch (error) {
        failedIds.add(scan.id);
        summary.failed.push({ scanId: scan.id, reason: (error as Error).message });
      }
    }
    const vectors = await embedImages(decoded.map((d) => d.image));
    for (const [i, d] of decoded.entries()) {
      await insertEmbedding(db, { scanId: d.scan.id, modelId: model.id, vector: vectors[i]! });
    }
    summary.embedded += decoded.length;
    if (summary.embedded % (batch * 20) < batch) log(`re-embedding for ${model.id}: ${summary.embedded} scans done`);
  }
  return summary;
}
