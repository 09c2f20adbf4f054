import { describe, expect, it } from "vitest";
import { headOutputs, packedWidth, unpack } from "./heads";
import { parseModelDescriptor } from "./model-contract";
import { readFileSync } from "node:fs";

const v2 = JSON.parse(readFileSync("models/radtrack_cxr_v2/model.json", "utf8")) as Record<string, unknown>;
const withHeads = parseModelDescriptor(
  {
    ...v2,
    id: "test_heads@1",
    version: "1",
    dims: 2,
    heads: {
      extent: { output: "extent", scale: [0, 8], interval: { method: "split-conformal", halfWidth: 2, coverage: 0.8 } },
      view: {
        output: "view",
        classes: ["frontal", "lateral", "ct", "other"],
        frontalMinProbability: 0.5,
        distanceOutput: "frontal_distance",
        maxDistance: 2,
      },
    },
  },
  "test",
);

describe("packed head outputs", () => {
  it("lists the head outputs in packing order and unpacks extent with its clipped interval", () => {
    expect(headOutputs(withHeads).map((h) => h.name)).toEqual(["extent", "view", "frontal_distance"]);
    expect(packedWidth(withHeads)).toBe(2 + 1 + 4 + 1);
    const a = unpack(withHeads, Float32Array.from([0.6, 0.8, 7.5, 0.9, 0.05, 0.03, 0.02, 1.1]));
    expect(Array.from(a.vector)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(a.extent).toEqual({ value: 7.5, lo: 5.5, hi: 8 });
    expect(a.view?.probabilities.frontal).toBeCloseTo(0.9, 6);
    expect(a.view?.distance).toBeCloseTo(1.1, 6);
  });

  it("refuses a descriptor whose view classes do not start with frontal, and a wrong packed length", () => {
    expect(() =>
      parseModelDescriptor(
        {
          ...v2,
          heads: {
            view: {
              output: "v",
              classes: ["ct", "frontal"],
              frontalMinProbability: 0.5,
              distanceOutput: "d",
              maxDistance: 1,
            },
          },
        },
        "test",
      ),
    ).toThrow(/frontal first/);
    expect(() => unpack(withHeads, new Float32Array(3))).toThrow(/packed values/);
  });
});
