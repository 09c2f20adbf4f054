// The two caps that protect the server from a single upload: bytes read, and pixels decoded.
import { formatBytes, formatMegapixels, ScanValidationError } from "./errors";
import { DEFAULT_LIMITS, type DecodeLimits } from "./types";

export function resolveLimits(overrides: Partial<DecodeLimits> = {}): DecodeLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`decode limit ${name} must be a positive number`);
  }
  return limits;
}

export function assertByteBudget(size: number, maxBytes: number): void {
  if (size === 0)
    throw new ScanValidationError("empty", "This file is empty (0 bytes). Please choose the image file again.");
  if (size > maxBytes) {
    throw new ScanValidationError(
      "too_large",
      `This file is ${formatBytes(size)}; the limit is ${formatBytes(maxBytes)} per scan.`,
    );
  }
}

/** `description` names what the header says the file is, e.g. "a PNG": "This file is a PNG of 60000 x 60000 pixels". */
export function assertPixelBudget(width: number, height: number, maxPixels: number, description: string): void {
  if (width * height > maxPixels) {
    throw new ScanValidationError(
      "too_many_pixels",
      `This file is ${description} of ${width} x ${height} pixels (${formatMegapixels(width * height)}); ` +
        `the limit is ${formatMegapixels(maxPixels)}.`,
    );
  }
}
