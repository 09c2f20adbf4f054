// Refuses images that carry no picture: a flat field, or noise. The test works on block averages, because at that
// scale every real image (radiograph or not) is smooth, so neighbouring blocks are strongly alike, while for noise
// the block averages stay independent and their neighbour correlation sits at zero whatever the noise amplitude.
// Nothing here is tuned to the corpus: the thresholds sit far from both ends (real images score > 0.8, white noise
// 0 +/- 0.05 at this grid size).
import { ScanValidationError } from "./errors";

const TARGET_GRID = 64;
/** Standard deviation of block averages, in 8-bit grey levels, below which the image is one flat shade. */
const MIN_STD = 1;
/** Neighbour correlation of block averages below which the image is taken for noise. */
const MIN_NEIGHBOUR_CORRELATION = 0.3;
/** Smaller than this on any side is an icon, not an X-ray, and too small for the noise test to mean anything. */
export const MIN_SIDE = 32;

export interface SignalStats {
  std: number;
  neighbourCorrelation: number;
}

export function blockAverages(pixels: Uint8Array, width: number, height: number) {
  const block = Math.max(1, Math.floor(Math.max(width, height) / TARGET_GRID));
  const gw = Math.floor(width / block);
  const gh = Math.floor(height / block);
  const sums = new Float64Array(gw * gh);
  // One pass, no division and no lookup per pixel: this runs on every upload, up to the 50-megapixel limit. Each
  // block's run of a row is summed in an integer local first (at most 255 x block, exact), then added once.
  for (let y = 0; y < gh * block; y++) {
    const gRow = ((y / block) | 0) * gw;
    let i = y * width;
    for (let gx = 0; gx < gw; gx++) {
      let run = 0;
      for (const end = i + block; i < end; i++) run += pixels[i]!;
      sums[gRow + gx]! += run;
    }
  }
  const area = block * block;
  for (let i = 0; i < sums.length; i++) sums[i]! /= area;
  return { values: sums, gw, gh };
}

export function measureSignal(pixels: Uint8Array, width: number, height: number): SignalStats {
  const { values, gw, gh } = blockAverages(pixels, width, height);
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  variance /= values.length;
  if (variance === 0) return { std: 0, neighbourCorrelation: 0 };
  let products = 0;
  let pairs = 0;
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const a = values[y * gw + x]! - mean;
      if (x + 1 < gw) {
        products += a * (values[y * gw + x + 1]! - mean);
        pairs++;
      }
      if (y + 1 < gh) {
        products += a * (values[(y + 1) * gw + x]! - mean);
        pairs++;
      }
    }
  }
  return { std: Math.sqrt(variance), neighbourCorrelation: pairs === 0 ? 0 : products / pairs / variance };
}

export function assertUsableSize(width: number, height: number, what: string): void {
  if (width < MIN_SIDE || height < MIN_SIDE) {
    throw new ScanValidationError(
      "too_small",
      `This ${what} is only ${width} x ${height} pixels; an X-ray needs at least ${MIN_SIDE} pixels on each side.`,
    );
  }
}

export function assertHasSignal(pixels: Uint8Array, width: number, height: number, what: string): void {
  const stats = measureSignal(pixels, width, height);
  if (stats.std < MIN_STD) {
    throw new ScanValidationError(
      "no_signal",
      `This ${what} is a single flat shade with no visible picture. Please check that the right file was exported.`,
    );
  }
  if (stats.neighbourCorrelation < MIN_NEIGHBOUR_CORRELATION) {
    throw new ScanValidationError(
      "no_signal",
      `This ${what} contains only random noise, not a picture. It may be damaged, or exported with the wrong settings.`,
    );
  }
}
