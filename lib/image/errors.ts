// One error type for every refusal, so callers (upload routes, import scripts) can show `message` to a clinician
// as-is and branch on `code` without parsing text.

export type ScanErrorCode =
  | "empty"
  | "too_large"
  | "too_small"
  | "unsupported_type"
  | "too_many_pixels"
  | "corrupt"
  | "not_radiograph"
  | "no_image"
  | "multi_frame"
  | "unsupported_transfer_syntax"
  | "unsupported_pixel_format"
  | "no_signal"
  | "bad_date"
  /** The frontal-film gate (lib/gate): a CT slice, a lateral view, or not a radiograph. */
  | "not_frontal_film";

export class ScanValidationError extends Error {
  override readonly name = "ScanValidationError";

  constructor(
    public readonly code: ScanErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isScanValidationError(value: unknown): value is ScanValidationError {
  return value instanceof ScanValidationError;
}

/** "52,428,800 bytes" reads badly to a clinician; "50 MB" does not. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

export function formatMegapixels(pixels: number): string {
  const mp = pixels / 1_000_000;
  return `${Number.isInteger(mp) ? mp : mp.toFixed(1)} megapixels`;
}
