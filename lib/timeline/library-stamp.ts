import type { Db } from "@/lib/db/client";

/**
 * Identifies the state of the reference library: any import or removal changes it, which marks every stored
 * assessment as computed against an older library.
 */
export async function libraryStamp(db: Db): Promise<string> {
  const rows = await db.$queryRaw<{ n: bigint; latest: Date | null; checksum: string | null }[]>`
    SELECT count(*) AS n, max(s."created_at") AS latest,
           md5(string_agg(r."scan_id"::text || r."class"::text, ',' ORDER BY r."scan_id")) AS checksum
    FROM "reference_labels" r JOIN "scans" s ON s."id" = r."scan_id"`;
  const row = rows[0];
  return `${Number(row?.n ?? 0)}:${row?.latest?.getTime() ?? 0}:${row?.checksum ?? "-"}`;
}

/** True for the stamp of an empty library (no reference scan to assess against). */
export function libraryIsEmpty(stamp: string): boolean {
  return stamp.startsWith("0:");
}
