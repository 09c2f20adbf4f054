import { describe, expect, it } from "vitest";
import { recallAtK, scanBlock, TopK } from "./exact-topk";

describe("TopK", () => {
  it("keeps the k best scores, best first", () => {
    const top = new TopK(3);
    [0.1, 0.9, 0.5, 0.7, 0.2, 0.95].forEach((s, i) => top.offer(s, i));
    expect(top.result()).toEqual([5, 1, 3]);
  });

  it("refuses a k that is not a positive whole number", () => {
    expect(() => new TopK(0)).toThrow(RangeError);
  });
});

describe("scanBlock", () => {
  it("finds the exact neighbours by dot product, across blocks and with a filter", () => {
    const dims = 2;
    const unit = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    const data = [0, 10, 20, 30, 40, 50].flatMap(unit);
    const queries = Float32Array.from(unit(22));
    const all = [new TopK(2)];
    scanBlock(queries, all, Float32Array.from(data.slice(0, 6)), dims, 0);
    scanBlock(queries, all, Float32Array.from(data.slice(6)), dims, 3);
    expect(all[0]!.result()).toEqual([2, 3]);
    const odd = [new TopK(2)];
    scanBlock(queries, odd, Float32Array.from(data), dims, 0, (id) => id % 2 === 1);
    expect(odd[0]!.result()).toEqual([3, 1]);
  });
});

describe("recallAtK", () => {
  it("counts found true neighbours over all true neighbours", () => {
    expect(
      recallAtK(
        [
          [1, 2, 3],
          [4, 5, 9],
        ],
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ),
    ).toBeCloseTo(5 / 6);
    expect(recallAtK([], [])).toBe(1);
  });
});
