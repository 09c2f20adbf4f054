// PUT /api/bulk/{jobId}/upload?index={n}&offset={bytes}: one chunk (at most 8 MB, raw body) of the n-th declared
// file of a draft bulk upload. Admins only (session cookie or an admin's bearer token). Chunks keep each request
// small; a chunk sent again overwrites itself, so the browser can retry one.
import { ApiError, jsonResponse } from "@/lib/api/errors";
import { apiRoute, requireUuid } from "@/lib/api/route";
import { CHUNK_BYTES } from "@/lib/bulk/limits";
import { BulkNotFoundError, receiveChunk } from "@/lib/bulk/service";

export const dynamic = "force-dynamic";

function whole(value: string | null, what: string): number {
  if (value === null || !/^\d{1,15}$/.test(value)) throw new ApiError(400, `${what} must be a whole number.`);
  return Number(value);
}

export const PUT = apiRoute<{ jobId: string }>({ session: true, roles: ["admin"] }, async (ctx, params) => {
  const jobId = requireUuid(params.jobId, "This bulk upload");
  const url = new URL(ctx.request.url);
  const index = whole(url.searchParams.get("index"), "index");
  const offset = whole(url.searchParams.get("offset"), "offset");
  const declared = Number(ctx.request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > CHUNK_BYTES) {
    throw new ApiError(413, `Send files in chunks of at most ${CHUNK_BYTES} bytes.`);
  }
  const body = new Uint8Array(await ctx.request.arrayBuffer());
  if (body.length > CHUNK_BYTES) throw new ApiError(413, `Send files in chunks of at most ${CHUNK_BYTES} bytes.`);
  if (Number.isFinite(declared) && body.length !== declared) {
    throw new ApiError(400, `The chunk arrived incomplete (${body.length} of ${declared} bytes). Send it again.`);
  }
  try {
    return jsonResponse(await receiveChunk(ctx.db, jobId, index, offset, body));
  } catch (error) {
    if (error instanceof BulkNotFoundError) throw new ApiError(404, error.message);
    throw error;
  }
});
