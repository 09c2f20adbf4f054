// How every /api failure reaches the client: a 4xx/5xx status and `{ "error": "<clear message>" }`, sometimes with
// extra fields (fieldErrors, existingScanId). Known error types map to statuses here, in one place.
import { UserFacingError } from "@/lib/errors";
import {
  DATABASE_RETRY_AFTER_SECONDS,
  DATABASE_UNAVAILABLE_MESSAGE,
  isDatabaseUnavailable,
} from "@/lib/db/unavailable";
import { EmbeddingQueueFullError } from "@/lib/embedding/errors";
import { BreakGlassRequiredError } from "@/lib/patients/access";
import { ScanValidationError, type ScanErrorCode } from "@/lib/image/errors";
import { DuplicateScanError, ScanRejectedError, ScanStateError, UnknownScanError } from "@/lib/scans/errors";

/** A refusal with a status of its own; `extra` is merged into the JSON body. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const NO_STORE = { "Cache-Control": "no-store" };

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { ...NO_STORE, ...headers } });
}

export function jsonError(
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return jsonResponse({ error: message, ...extra }, status, headers);
}

export const notFound = (what: string) => new ApiError(404, `${what} does not exist.`);

const SCAN_ERROR_STATUS: Partial<Record<ScanErrorCode, number>> = {
  too_large: 413,
  too_many_pixels: 413,
  unsupported_type: 415,
  not_frontal_film: 422,
};

export function errorResponse(error: unknown): Response {
  if (error instanceof ApiError) return jsonError(error.status, error.message, error.extra, error.headers);
  if (error instanceof DuplicateScanError) {
    return jsonError(409, error.message, {
      existingScanId: error.existingScanId,
      ...(error.withdrawn ? { existingWithdrawn: true } : {}),
    });
  }
  if (error instanceof UnknownScanError) return jsonError(404, error.message);
  if (error instanceof ScanStateError) return jsonError(409, error.message);
  if (error instanceof ScanValidationError || error instanceof ScanRejectedError) {
    return jsonError(SCAN_ERROR_STATUS[error.code] ?? 400, error.message, { code: error.code });
  }
  if (error instanceof BreakGlassRequiredError) {
    return jsonError(403, error.message, {
      code: "break_glass_required",
      breakGlass: `/api/v1/patients/${error.patientId}/break-glass`,
    });
  }
  if (error instanceof UserFacingError) {
    return jsonError(400, error.message, error.fieldErrors ? { fieldErrors: error.fieldErrors } : {});
  }
  if (isDatabaseUnavailable(error)) {
    console.error("api request failed: the database did not answer in time");
    return jsonError(503, DATABASE_UNAVAILABLE_MESSAGE, {}, { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) });
  }
  if (error instanceof EmbeddingQueueFullError) {
    return jsonError(
      503,
      "Radtrack is busy analysing other scans. Try again in a minute; nothing was stored.",
      {},
      {
        "Retry-After": "30",
      },
    );
  }
  // Only the type goes to the log line: the message may quote patient data.
  console.error("api request failed:", (error as Error)?.name ?? typeof error);
  console.error(error);
  return jsonError(500, "Something went wrong on the server; nothing was changed. Try again.");
}
