import { InvalidImageError } from "./errors";

/**
 * The part of lib/image's DecodedScan that embedding needs. Structural on purpose: a DecodedScan is accepted as is,
 * and this module does not depend on the image module.
 */
export interface GreyImage {
  width: number;
  height: number;
  /** 8-bit grey, row-major, width * height bytes. */
  pixels: Uint8Array;
}

/**
 * Far above any real radiograph (about 4300 x 3500), but it bounds the memory a queued request can pin and stays
 * under sharp's own pixel-flood limit.
 */
export const MAX_INPUT_PIXELS = 50_000_000;

export function assertGreyImage(image: GreyImage, label = "image"): void {
  const { width, height, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InvalidImageError(`${label}: width and height must be positive integers, got ${width} x ${height}`);
  }
  if (!(pixels instanceof Uint8Array)) {
    throw new InvalidImageError(`${label}: pixels must be a Uint8Array of 8-bit grey values`);
  }
  if (width * height > MAX_INPUT_PIXELS) {
    throw new InvalidImageError(
      `${label}: ${width} x ${height} exceeds the ${MAX_INPUT_PIXELS.toLocaleString("en")} pixel limit`,
    );
  }
  if (pixels.length !== width * height) {
    throw new InvalidImageError(
      `${label}: expected ${width * height} grey bytes for ${width} x ${height}, got ${pixels.length}` +
        (pixels.length === width * height * 3 ? " (looks like RGB: convert to grey first)" : ""),
    );
  }
}
