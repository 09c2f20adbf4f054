// GET /api/bulk/{jobId}/report: the per-file report of a bulk upload as CSV (file, mrn, acquired_at, status, scan id,
// reason). Admins only.
import { ApiError } from "@/lib/api/errors";
import { apiRoute, requireUuid } from "@/lib/api/route";
import { BulkNotFoundError, reportCsv } from "@/lib/bulk/service";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ jobId: string }>({ session: true, roles: ["admin"] }, async (ctx, params) => {
  const jobId = requireUuid(params.jobId, "This bulk upload");
  try {
    return new Response(await reportCsv(ctx.db, jobId), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="bulk-${jobId}.csv"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    if (error instanceof BulkNotFoundError) throw new ApiError(404, error.message);
    throw error;
  }
});
