import { describe, expect, it } from "vitest";
import { applyGate, judgeView, type GateSpec } from "./frontal-film";

const spec: GateSpec = {
  output: "view",
  classes: ["frontal", "lateral", "ct", "other"],
  frontalMinProbability: 0.5,
  distanceOutput: "frontal_distance",
  maxDistance: 2,
};
const view = (p: [number, number, number, number], distance = 1) => ({
  probabilities: { frontal: p[0], lateral: p[1], ct: p[2], other: p[3] },
  distance,
});

describe("frontal-film gate", () => {
  it("passes a frontal film and names what a refused picture looks like", () => {
    expect(judgeView(view([0.99, 0.005, 0.003, 0.002]), spec).accepted).toBe(true);
    expect(judgeView(view([0.01, 0.9, 0.05, 0.04]), spec)).toMatchObject({ accepted: false, looksLike: "lateral" });
    expect(judgeView(view([0.01, 0.04, 0.9, 0.05]), spec)).toMatchObject({ accepted: false, looksLike: "ct" });
    expect(judgeView(view([0.01, 0.04, 0.05, 0.9]), spec)).toMatchObject({ accepted: false, looksLike: "other" });
  });

  it("refuses on distance alone, as not a radiograph unless another class is likely", () => {
    const far = judgeView(view([0.97, 0.01, 0.01, 0.01], 3), spec);
    expect(far).toMatchObject({ accepted: false, looksLike: "other", refusedBy: ["distance"] });
    expect(judgeView(view([0.7, 0.25, 0.03, 0.02], 3), spec).looksLike).toBe("lateral");
  });

  it("throws a 422-coded refusal with a clear message, and records an admin override instead", () => {
    const analysis = { vector: new Float32Array(2), view: view([0.01, 0.04, 0.9, 0.05]) };
    expect(() => applyGate(analysis, spec, undefined)).toThrow(/looks like a CT slice, not a frontal chest X-ray/);
    try {
      applyGate(analysis, spec, undefined);
    } catch (error) {
      expect((error as { code: string }).code).toBe("not_frontal_film");
    }
    expect(applyGate(analysis, spec, { reason: "real AP film, portable" })).toMatchObject({
      reason: "real AP film, portable",
      looksLike: "ct",
    });
    expect(applyGate({ vector: new Float32Array(2) }, spec, undefined)).toBeUndefined();
    expect(applyGate(analysis, undefined, undefined)).toBeUndefined();
  });
});
