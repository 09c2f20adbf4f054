import { describe, expect, it } from "vitest";
import { EXTENT_SCALE, INDEX_SCALE, regionOn, scaleOf } from "./scale";
import { DEFAULT_POLICY, patientDrift, riseThreshold, type TimelinePoint } from "./trend";

const day = (d: number) => new Date(Date.UTC(2026, 0, 1 + d));
const pt = (d: number, value: number, half?: number): TimelinePoint => ({
  scanId: `s${d}`,
  acquiredAt: day(d),
  index: value,
  modelId: "m",
  ...(half === undefined ? {} : { lo: Math.max(0, value - half), hi: Math.min(8, value + half) }),
});

describe("severity scale", () => {
  it("uses the extent scale for a model with an extent head, with the corpus rule's severe region at 5", () => {
    expect(scaleOf({ heads: { extent: {} } })).toBe(EXTENT_SCALE);
    expect(scaleOf({})).toBe(INDEX_SCALE);
    expect(regionOn(EXTENT_SCALE, 4.99)).toBe("infected");
    expect(regionOn(EXTENT_SCALE, 5)).toBe("severe");
    expect(regionOn(EXTENT_SCALE, 0.5)).toBe("healthy");
  });

  it("never alerts for a move inside the severe region, and alerts on entering it", () => {
    const d = patientDrift([pt(0, 3, 1), pt(2, 5.5, 1), pt(4, 6.5, 1), pt(6, 8, 1)], "m", DEFAULT_POLICY, EXTENT_SCALE);
    expect(d.alerts).toEqual([{ scanId: "s2", kind: "entered_severe", rise: 2.5 }]);
  });

  it("raises a sharp rise only beyond what the two intervals explain", () => {
    const threshold = riseThreshold(pt(0, 3, 2), pt(1, 4, 2), DEFAULT_POLICY, EXTENT_SCALE);
    expect(threshold).toBeCloseTo(Math.sqrt(8), 6);
    const small = patientDrift([pt(0, 1, 2), pt(3, 3.5, 2)], "m", DEFAULT_POLICY, EXTENT_SCALE);
    expect(small.alerts).toEqual([]);
    const big = patientDrift([pt(0, 0.5, 2), pt(3, 4.5, 2)], "m", DEFAULT_POLICY, EXTENT_SCALE);
    expect(big.alerts.map((a) => a.kind)).toEqual(["sharp_rise"]);
  });

  it("gives the trend in points per week and judges it against the policy scaled to 0-8", () => {
    const d = patientDrift([pt(0, 2), pt(7, 3), pt(14, 4)], "m", DEFAULT_POLICY, EXTENT_SCALE);
    expect(d.slopePerWeek).toBeCloseTo(1, 6);
    expect(d.status).toBe("worsening");
    expect(d.latest?.region).toBe("infected");
    const flat = patientDrift([pt(0, 2), pt(7, 2.1), pt(14, 2.2)], "m", DEFAULT_POLICY, EXTENT_SCALE);
    expect(flat.status).toBe("stable");
  });
});
