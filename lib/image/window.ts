// Mapping wide-range samples (16-bit PNG, DICOM) to 8-bit display values through a lookup table. Samples are
// integers spanning at most 65536 values, so one table entry per possible value is cheap and turns any chain of
// per-value steps (rescale, VOI window, inversion) into a single pass over the pixels.

export type IntegerSamples = Uint8Array | Uint16Array | Int16Array;

/** The corpus was windowed the same way: ignore the darkest and brightest 0.5 % (labels, collimator edges, noise). */
export const ROBUST_LOW = 0.005;
export const ROBUST_HIGH = 0.995;

export interface ValueRange {
  min: number;
  max: number;
}

export function valueRange(samples: IntegerSamples): ValueRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return samples.length === 0 ? { min: 0, max: 0 } : { min, max };
}

export function histogram(samples: IntegerSamples, range: ValueRange): Uint32Array {
  const hist = new Uint32Array(range.max - range.min + 1);
  for (let i = 0; i < samples.length; i++) hist[(samples[i] as number) - range.min]!++;
  return hist;
}

/**
 * Nearest-rank percentile: the value at sorted position round(p * (n - 1)). `excluded` values (DICOM pixel padding)
 * do not count, so a large padded border cannot push the window onto it.
 */
export function percentilesFromHistogram(
  hist: Uint32Array,
  min: number,
  fractions: readonly number[],
  excluded?: number,
): number[] {
  const excludedIndex = excluded === undefined ? -1 : excluded - min;
  let total = 0;
  for (let i = 0; i < hist.length; i++) if (i !== excludedIndex) total += hist[i]!;
  if (total === 0) return fractions.map(() => min);
  const ranks = fractions.map((p) => Math.round(p * (total - 1)));
  const result = new Array<number>(fractions.length).fill(min + hist.length - 1);
  const done = new Array<boolean>(fractions.length).fill(false);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    if (i === excludedIndex) continue;
    seen += hist[i]!;
    ranks.forEach((rank, k) => {
      if (!done[k] && seen > rank) {
        result[k] = min + i;
        done[k] = true;
      }
    });
  }
  return result;
}

/** A display transfer function: maps one (real-valued) sample to 0..255, before rounding. */
export type DisplayFunction = (value: number) => number;

/** Linear ramp from `lo` (black) to `hi` (white); a degenerate range splits at `lo` so a flat image stays flat. */
export function linearRamp(lo: number, hi: number): DisplayFunction {
  if (hi <= lo) return (v) => (v > lo ? 255 : 0);
  const scale = 255 / (hi - lo);
  return (v) => (v - lo) * scale;
}

export function buildLut(range: ValueRange, f: DisplayFunction): Uint8Array {
  const lut = new Uint8Array(range.max - range.min + 1);
  for (let i = 0; i < lut.length; i++) {
    const y = Math.round(f(range.min + i));
    lut[i] = y <= 0 ? 0 : y >= 255 ? 255 : y;
  }
  return lut;
}

export function applyLut(samples: IntegerSamples, min: number, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = lut[(samples[i] as number) - min]!;
  return out;
}

/** 16-bit PNG to 8-bit: the robust 0.5-99.5 percentile window, as used to build the corpus. */
export function robustWindowToEightBit(samples: IntegerSamples): Uint8Array {
  const range = valueRange(samples);
  const [lo, hi] = percentilesFromHistogram(histogram(samples, range), range.min, [ROBUST_LOW, ROBUST_HIGH]);
  return applyLut(samples, range.min, buildLut(range, linearRamp(lo!, hi!)));
}
