// Which patients' stored drift is out of date. Reads only: the admin status page counts them, the patient list marks
// them "updating", and the refresh (lib/timeline/refresh.ts) picks them up.
import type { Db } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";
import { readContext, type TimelineContext } from "./timeline";

/**
 * Patients whose summary is out of date: none yet, another model or library state, or a scan with a vector of the
 * active model but no assessment for it (a new upload, a bulk job, the end of a re-embedding). Raw SQL over the same
 * scans as `timelineScans` (lib/timeline/timeline.ts): an exclusion added there belongs here too.
 */
function staleCondition(ctx: TimelineContext): Prisma.Sql {
  return Prisma.sql`
    ps."patient_id" IS NULL
    OR ps."model_id" <> ${ctx.model.id}
    OR ps."library_stamp" <> ${ctx.stamp}
    OR (EXISTS (SELECT 1 FROM "reference_labels") AND EXISTS (
      SELECT 1 FROM "scans" s
      JOIN "embeddings" e ON e."scan_id" = s."id" AND e."model_id" = ${ctx.model.id}
      LEFT JOIN "scan_assessments" a
        ON a."scan_id" = s."id" AND a."model_id" = ${ctx.model.id} AND a."library_stamp" = ${ctx.stamp}
      WHERE s."patient_id" = p."id" AND s."withdrawn_at" IS NULL AND a."scan_id" IS NULL))`;
}

/** Up to `limit` stale patients, in a stable order. */
export async function stalePatients(db: Db, ctx: TimelineContext, limit: number): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT p."id" FROM "patients" p LEFT JOIN "patient_summaries" ps ON ps."patient_id" = p."id"
    WHERE ${staleCondition(ctx)}
    ORDER BY p."id"
    LIMIT ${limit}`;
  return rows.map((r) => r.id);
}

/** What a stored summary was computed from. */
export interface SummaryBasis {
  modelId: string;
  libraryStamp: string;
  scanCount: number;
}

/**
 * Whether a listed patient's summary is behind (the patient list's "updating" mark), judged from the row alone: none
 * although the patient has films, or computed for another model, another library or another number of films (an
 * upload, a bulk job, a withdrawal). No query: the stale condition above, run per listed patient, cost the list page
 * a plan over every patient's films (docs/benchmarks.md, soak).
 */
export function summaryIsStale(summary: SummaryBasis | null, scanCount: number, ctx: TimelineContext): boolean {
  if (!summary) return scanCount > 0;
  return summary.modelId !== ctx.model.id || summary.libraryStamp !== ctx.stamp || summary.scanCount !== scanCount;
}

/** How many patients' drift is out of date (the admin status page). */
export async function countStaleSummaries(db: Db): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "patients" p LEFT JOIN "patient_summaries" ps ON ps."patient_id" = p."id"
    WHERE ${staleCondition(await readContext(db))}`;
  return Number(rows[0]?.n ?? 0);
}
