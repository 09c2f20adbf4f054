// Plain metric functions over numbers and unit vectors. No I/O: everything here is tested on hand-made inputs.

export interface Neighbour {
  /** Index into the candidate list. */
  index: number;
  /** Cosine similarity (dot product of unit vectors). */
  similarity: number;
}

export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Exact k nearest candidates of `query` by cosine similarity (vectors must be unit length), most similar first.
 * `allow(i)` filters candidates (e.g. other source only). Ties keep the lower index first, so results are stable.
 */
export function nearest(
  query: Float32Array,
  candidates: readonly Float32Array[],
  k: number,
  allow: (index: number) => boolean = () => true,
): Neighbour[] {
  const top: Neighbour[] = [];
  for (let i = 0; i < candidates.length; i++) {
    if (!allow(i)) continue;
    const similarity = dot(query, candidates[i]!);
    if (top.length === k && similarity <= top[k - 1]!.similarity) continue;
    // Insertion into a sorted list of at most k: k is small (36), candidates are thousands.
    let j = top.length < k ? top.length : k - 1;
    if (top.length < k) top.push({ index: i, similarity });
    while (j > 0 && top[j - 1]!.similarity < similarity) {
      top[j] = top[j - 1]!;
      j--;
    }
    top[j] = { index: i, similarity };
  }
  return top;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Pearson correlation; NaN when fewer than 2 pairs or a constant side. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError("pearson: length mismatch");
  if (x.length < 2) return NaN;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks from 1, ties get the average of their ranks. */
export function ranks(x: readonly number[]): number[] {
  const order = x.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(x.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const r = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) out[order[t]![1]] = r;
    i = j + 1;
  }
  return out;
}

export function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

export function mae(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError("mae: length mismatch");
  return mean(x.map((v, i) => Math.abs(v - y[i]!)));
}

export interface LinearFit {
  intercept: number;
  slope: number;
  n: number;
}

/** Least squares y = intercept + slope * x; a constant x gives slope 0 (the mean of y). */
export function fitLinear(x: readonly number[], y: readonly number[]): LinearFit {
  if (x.length !== y.length) throw new RangeError("fitLinear: length mismatch");
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { intercept: my - slope * mx, slope, n: x.length };
}

export interface CorrelationSummary {
  pearson: number | null;
  spearman: number | null;
  mae: number | null;
  n: number;
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

export function correlationSummary(predicted: readonly number[], expected: readonly number[]): CorrelationSummary {
  return {
    pearson: finiteOrNull(pearson(predicted, expected)),
    spearman: finiteOrNull(spearman(predicted, expected)),
    mae: finiteOrNull(mae(predicted, expected)),
    n: predicted.length,
  };
}

/** Share of `items` for which `hit` holds; NaN for none. */
export function share<T>(items: readonly T[], hit: (item: T) => boolean): number {
  if (items.length === 0) return NaN;
  let n = 0;
  for (const it of items) if (hit(it)) n++;
  return n / items.length;
}

/** Most frequent value; ties go to the one with the larger `tieBreak` total, then the first in `order`. */
export function majority<T extends string>(
  values: readonly T[],
  order: readonly T[],
  tieBreak: readonly number[] = [],
): T | null {
  if (values.length === 0) return null;
  const count = new Map<T, number>();
  const weight = new Map<T, number>();
  values.forEach((v, i) => {
    count.set(v, (count.get(v) ?? 0) + 1);
    weight.set(v, (weight.get(v) ?? 0) + (tieBreak[i] ?? 0));
  });
  let best: T | null = null;
  for (const v of order) {
    if (!count.has(v)) continue;
    if (
      best === null ||
      count.get(v)! > count.get(best)! ||
      (count.get(v) === count.get(best) && weight.get(v)! > weight.get(best)!)
    ) {
      best = v;
    }
  }
  return best;
}

/** Sign of a difference with a dead zone: -1, 0 or 1. */
export function direction(delta: number, epsilon = 1e-9): -1 | 0 | 1 {
  return delta > epsilon ? 1 : delta < -epsilon ? -1 : 0;
}
