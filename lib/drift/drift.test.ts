import { describe, expect, it } from "vitest";
import { assessScan, regionOf, severityIndex, type NeighbourLike } from "./severity";
import { driftPolicyFromEnv } from "@/lib/config";
import { DEFAULT_POLICY, patientDrift, theilSenSlope, type TimelinePoint } from "./trend";

const n = (healthy: number, infected: number, severe: number, similarity = 0.9): NeighbourLike[] => [
  ...Array.from({ length: healthy }, () => ({ class: "healthy" as const, similarity })),
  ...Array.from({ length: infected }, () => ({ class: "infected" as const, similarity })),
  ...Array.from({ length: severe }, () => ({ class: "severe" as const, similarity })),
];

const day = (d: number) => new Date(Date.UTC(2026, 0, 1) + d * 86_400_000);
const points = (indices: number[], stepDays = 7, modelId = "m@1"): TimelinePoint[] =>
  indices.map((index, i) => ({ scanId: `s${i}`, acquiredAt: day(i * stepDays), index, modelId }));

describe("severity index of one scan", () => {
  it("is 0 for all-healthy, 1 for all-severe and 0.5 for all-infected neighbours", () => {
    expect(severityIndex(n(36, 0, 0))).toBe(0);
    expect(severityIndex(n(0, 0, 36))).toBe(1);
    expect(severityIndex(n(0, 36, 0))).toBeCloseTo(0.5, 12);
  });

  it("matches a hand computation: 30 healthy, 5 infected, 1 severe at equal similarity", () => {
    expect(severityIndex(n(30, 5, 1))).toBeCloseTo((5 * 0.5 + 1) / 36, 12);
    expect(assessScan(n(30, 5, 1))).toMatchObject({
      mix: { healthy: 30, infected: 5, severe: 1 },
      k: 36,
      region: "healthy",
    });
  });

  it("weights closer neighbours more", () => {
    const closeSevere = [
      { class: "severe" as const, similarity: 0.9 },
      { class: "healthy" as const, similarity: 0.3 },
    ];
    expect(severityIndex(closeSevere)).toBeCloseTo(0.9 / 1.2, 12);
  });

  it("is monotone: replacing a healthy neighbour by a severe one never lowers the index", () => {
    let previous = -1;
    for (let severe = 0; severe <= 36; severe++) {
      const index = severityIndex(n(36 - severe, 0, severe));
      expect(index).toBeGreaterThan(previous);
      previous = index;
    }
  });

  it("puts boundaries on the documented bands, ties going to the more severe region", () => {
    expect(regionOf(0.3333)).toBe("healthy");
    expect(regionOf(1 / 3)).toBe("infected");
    expect(regionOf(2 / 3)).toBe("severe");
    expect(() => severityIndex([])).toThrow();
  });
});

describe("patient trend", () => {
  it("is worsening for a steady rise and improving for a steady fall", () => {
    expect(patientDrift(points([0.1, 0.2, 0.3, 0.4]), "m@1").status).toBe("worsening");
    expect(patientDrift(points([0.4, 0.3, 0.2, 0.1]), "m@1").status).toBe("improving");
    expect(patientDrift(points([0.1, 0.2, 0.3, 0.4]), "m@1").slopePerWeek).toBeCloseTo(0.1, 12);
  });

  it("stays stable when one noisy scan spikes in a flat series", () => {
    const drift = patientDrift(points([0.2, 0.2, 0.9, 0.2, 0.2]), "m@1");
    expect(drift.slopePerWeek).toBeCloseTo(0, 12);
    expect(drift.status).toBe("stable");
    // The spike still alerts: a clinician should look at that film.
    expect(drift.alerts.map((a) => [a.scanId, a.kind])).toEqual([["s2", "entered_severe"]]);
  });

  it("needs two dated scans for a trend", () => {
    expect(patientDrift(points([0.5]), "m@1")).toMatchObject({ status: "insufficient", slopePerWeek: null });
    expect(patientDrift([], "m@1")).toMatchObject({ status: "insufficient", latest: null, modelId: null });
  });

  it("handles ties in time (same-day scans) without dividing by zero", () => {
    const same = [
      { scanId: "a", acquiredAt: day(0), index: 0.2, modelId: "m@1" },
      { scanId: "b", acquiredAt: day(0), index: 0.6, modelId: "m@1" },
    ];
    expect(patientDrift(same, "m@1")).toMatchObject({ slopePerWeek: null, status: "insufficient" });
    expect(theilSenSlope([1, 1, 2], [0, 1, 1])).toBeCloseTo(0.5, 12);
  });

  it("alerts on a sharp rise between consecutive scans and on entering the severe region", () => {
    const drift = patientDrift(points([0.1, 0.3, 0.35, 0.7]), "m@1");
    expect(drift.alerts).toEqual([
      { scanId: "s1", kind: "sharp_rise", rise: expect.closeTo(0.2, 12) },
      { scanId: "s3", kind: "entered_severe", rise: expect.closeTo(0.35, 12) },
    ]);
  });

  it("never mixes two models on one curve", () => {
    const mixed = [
      ...points([0.1, 0.2], 7, "old@1"),
      ...points([0.8, 0.9], 7, "new@1").map((p) => ({ ...p, scanId: `n-${p.scanId}` })),
    ];
    const drift = patientDrift(mixed, "new@1");
    expect(drift.points.every((p) => p.modelId === "new@1")).toBe(true);
    expect(drift.excludedOtherModel).toBe(2);
    expect(drift.modelId).toBe("new@1");
  });

  it("orders points by date whatever the input order", () => {
    const shuffled = points([0.1, 0.2, 0.3]).reverse();
    expect(patientDrift(shuffled, "m@1").points.map((p) => p.scanId)).toEqual(["s0", "s1", "s2"]);
  });

  it("reads its thresholds from the environment and refuses nonsense", () => {
    expect(driftPolicyFromEnv({})).toEqual(DEFAULT_POLICY);
    expect(driftPolicyFromEnv({ RADTRACK_ALERT_RISE: "0.3" }).alertRise).toBe(0.3);
    expect(() => driftPolicyFromEnv({ RADTRACK_ALERT_RISE: "lots" })).toThrow(/RADTRACK_ALERT_RISE/);
  });
});
