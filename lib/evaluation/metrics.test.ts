import { describe, expect, it } from "vitest";
import { correlationSummary, direction, fitLinear, mae, majority, nearest, pearson, ranks, spearman } from "./metrics";

const unit = (deg: number) => new Float32Array([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)]);

describe("metric functions on hand-made inputs", () => {
  it("pearson, spearman and MAE match hand computation", () => {
    // x = 1,2,3; y = 2,4,7: mean x 2, mean y 13/3; sxy = 5, sxx = 2, syy = 12.667 → r = 5 / sqrt(25.333)
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(2 * (38 / 3)), 12);
    expect(spearman([1, 2, 3], [2, 4, 7])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [10, 30, 20, 40])).toBeCloseTo(0.8, 12);
    expect(mae([1, 2, 3], [2, 2, 5])).toBeCloseTo(1, 12);
    expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
    expect(correlationSummary([1], [2])).toEqual({ pearson: null, spearman: null, mae: 1, n: 1 });
  });

  it("ranks ties by their average rank", () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it("fits a line by least squares", () => {
    const f = fitLinear([0, 1, 2], [1, 3, 5]);
    expect(f.slope).toBeCloseTo(2, 12);
    expect(f.intercept).toBeCloseTo(1, 12);
    expect(fitLinear([1, 1], [2, 4])).toEqual({ intercept: 3, slope: 0, n: 2 });
  });

  it("finds the exact k nearest by cosine, most similar first, with a filter", () => {
    const candidates = [0, 30, 60, 90, 180].map(unit);
    const q = unit(50);
    expect(nearest(q, candidates, 2).map((n) => n.index)).toEqual([2, 1]);
    expect(nearest(q, candidates, 3, (i) => i !== 2).map((n) => n.index)).toEqual([1, 3, 0]);
    expect(nearest(q, candidates, 10)).toHaveLength(5);
    expect(nearest(q, candidates, 1)[0]!.similarity).toBeCloseTo(Math.cos((10 * Math.PI) / 180), 6);
  });

  it("takes the majority, ties to the larger weight", () => {
    const order = ["healthy", "infected", "severe"] as const;
    expect(majority(["severe", "infected", "severe"], order)).toBe("severe");
    expect(majority(["severe", "infected"], order, [0.9, 0.95])).toBe("infected");
    expect(majority([], order)).toBeNull();
    expect(direction(0.5)).toBe(1);
    expect(direction(-2)).toBe(-1);
    expect(direction(0)).toBe(0);
  });
});
