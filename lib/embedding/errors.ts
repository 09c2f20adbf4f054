// Distinct error classes so callers (API routes, the admin page, job runners) can tell a misconfiguration, which
// no retry will fix, from overload, which a retry later will.

/** A setting (environment variable, model.json, model folder) is wrong. Fix the configuration; retrying is useless. */
export class EmbeddingConfigError extends Error {
  override readonly name = "EmbeddingConfigError";
}

/** The ONNX file on disk is not the one model.json describes. */
export class ModelChecksumError extends EmbeddingConfigError {
  constructor(
    readonly onnxPath: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `ONNX file ${onnxPath} does not match its model.json: expected sha256 ${expected}, file has sha256 ${actual}. ` +
        "Refusing to load it: vectors from a different network would silently mix with stored ones.",
    );
  }
}

/** The model ran but broke its contract (wrong names, shapes, non-finite values). */
export class EmbeddingEngineError extends Error {
  override readonly name = "EmbeddingEngineError";
}

/** The embedding queue is full: the caller should back off (HTTP 503 / retry later). */
export class EmbeddingQueueFullError extends Error {
  override readonly name = "EmbeddingQueueFullError";
}

/** The image handed in does not satisfy the GreyImage contract. */
export class InvalidImageError extends Error {
  override readonly name = "InvalidImageError";
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
