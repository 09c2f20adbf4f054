// GET /api/v1/scans/{id}/neighbors?k=36[&classes=healthy,severe]: the k nearest labelled reference scans, from
// lib/neighbours (which validates k and classes and records the neighbours.viewed audit event).
import { NoEmbeddingError, neighboursOfScan, parseNeighbourOptions, ScanNotFoundError } from "@/lib/neighbours";
import { ApiError, jsonResponse, notFound } from "./errors";
import { requireUuid, type ApiContext } from "./route";

function queryOptions(url: URL) {
  const rawK = url.searchParams.get("k");
  const rawClasses = url.searchParams.get("classes");
  const k = rawK === null || rawK.trim() === "" ? undefined : /^\s*-?\d+(\.\d+)?\s*$/.test(rawK) ? Number(rawK) : NaN;
  const classes = rawClasses
    ? rawClasses
        .split(",")
        .map((c) => c.trim())
        .filter(Boolean)
    : undefined;
  try {
    // Same rules as the page: 1 <= k <= MAX_K, whole numbers, known classes.
    return parseNeighbourOptions({ k, classes: classes as never });
  } catch (error) {
    throw new ApiError(400, `Invalid query: ${(error as Error).message}`);
  }
}

export async function scanNeighbours(ctx: ApiContext, rawScanId: string | undefined): Promise<Response> {
  const id = requireUuid(rawScanId, "This scan");
  const options = queryOptions(new URL(ctx.request.url));
  try {
    const result = await neighboursOfScan(ctx.db, id, options, { actor: ctx.actor, ip: ctx.ip });
    return jsonResponse({
      scanId: id,
      modelId: result.modelId,
      neighbors: result.neighbours.map((n) => ({
        scanId: n.scanId,
        class: n.class,
        similarity: n.similarity,
        percentile: n.percentile,
        thumbnailUrl: n.thumbnailUrl,
      })),
      mix: result.mix,
    });
  } catch (error) {
    if (error instanceof ScanNotFoundError) throw notFound("This scan");
    // The scan exists but was embedded with another model (or not at all): a state the client cannot fix by retrying.
    if (error instanceof NoEmbeddingError) throw new ApiError(409, error.message);
    throw error;
  }
}
