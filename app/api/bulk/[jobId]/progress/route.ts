// GET /api/bulk/{jobId}/progress: processed / failed / total, rate and ETA of a bulk job, for the progress bar.
import { ApiError, jsonResponse } from "@/lib/api/errors";
import { apiRoute, requireUuid } from "@/lib/api/route";
import { BulkNotFoundError, jobProgress } from "@/lib/bulk/service";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ jobId: string }>({ session: true, roles: ["admin"] }, async (ctx, params) => {
  const jobId = requireUuid(params.jobId, "This bulk upload");
  try {
    return jsonResponse(await jobProgress(ctx.db, jobId));
  } catch (error) {
    if (error instanceof BulkNotFoundError) throw new ApiError(404, error.message);
    throw error;
  }
});
