// Brute-force nearest neighbours in memory and recall@k: the ground truth for index benchmarks at sizes where an exact
// SQL scan per query would take longer than the benchmark itself. Vectors are unit length, so cosine similarity is a
// dot product.

/** The k largest scores seen, with their ids. Most offers lose against the current worst and cost one compare. */
export class TopK {
  private readonly scores: number[] = [];
  private readonly ids: number[] = [];
  private worst = Number.NEGATIVE_INFINITY;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive whole number, got ${k}`);
  }

  offer(score: number, id: number): void {
    if (this.scores.length === this.k && score <= this.worst) return;
    // Kept in descending order; k is small (tens), so a linear insert beats a heap's bookkeeping.
    let i = this.scores.length;
    while (i > 0 && this.scores[i - 1]! < score) i--;
    this.scores.splice(i, 0, score);
    this.ids.splice(i, 0, id);
    if (this.scores.length > this.k) {
      this.scores.pop();
      this.ids.pop();
    }
    if (this.scores.length === this.k) this.worst = this.scores[this.k - 1]!;
  }

  /** Ids, best first. */
  result(): number[] {
    return [...this.ids];
  }
}

export function dot(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, dims: number): number {
  let s = 0;
  for (let i = 0; i < dims; i++) s += a[aOffset + i]! * b[bOffset + i]!;
  return s;
}

/**
 * Offers every vector of a block (row-major, `dims` wide, ids from `firstId`) to every query's TopK. `accept` may
 * restrict which ids count (a class filter).
 */
export function scanBlock(
  queries: Float32Array,
  tops: readonly TopK[],
  block: Float32Array,
  dims: number,
  firstId: number,
  accept?: (id: number) => boolean,
): void {
  const n = block.length / dims;
  for (let q = 0; q < tops.length; q++) {
    const top = tops[q]!;
    for (let j = 0; j < n; j++) {
      if (accept && !accept(firstId + j)) continue;
      top.offer(dot(queries, q * dims, block, j * dims, dims), firstId + j);
    }
  }
}

/** Micro-averaged recall: found true neighbours over all true neighbours. */
export function recallAtK(approx: readonly (readonly number[])[], exact: readonly (readonly number[])[]): number {
  let hits = 0;
  let total = 0;
  exact.forEach((truth, q) => {
    const got = new Set(approx[q] ?? []);
    for (const id of truth) if (got.has(id)) hits++;
    total += truth.length;
  });
  return total === 0 ? 1 : hits / total;
}
