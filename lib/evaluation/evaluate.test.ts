import { describe, expect, it } from "vitest";
import type { ReferenceClass } from "@/lib/domain";
import type { EvalRow } from "./corpus";
import { evaluate, severityIndex } from "./evaluate";

const unit = (deg: number) => new Float32Array([Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)]);

function row(id: string, severity: ReferenceClass, source: string, extra: Partial<EvalRow> = {}): EvalRow {
  return {
    id,
    file: `/x/${id}.jpg`,
    source,
    patientId: `p:${id}`,
    linkedPatientIds: [`p:${id}`],
    offsetDays: null,
    severity,
    geographicMean: null,
    opacityMean: null,
    ageGroup: "adult",
    reader1Geographic: null,
    reader2Geographic: null,
    examTime: null,
    ...extra,
  };
}

// Reference on the unit circle (angle in degrees):
//   r0 healthy A 0°, r1 healthy B 10°, r2 infected A 80°, r3 severe B 90°, r4 infected B 55°
// Queries (k = 2):
//   q0 healthy A 3°   → r0 (3°), r1 (7°)          other source (B): r1, r4
//   q1 infected A 70° → r2 (10°), r4 (15°)        other source (B): r4 (15°), r3 (20°)
//   q2 severe B 88°   → r3 (2°), r2 (8°)          other source (A): r2 (8°), r0 (88°)
// q1 and q2 are one person, dated 0 and 5 days: infected → severe, so the experts say "worse".
const reference = {
  rows: [
    row("r0", "healthy", "A"),
    row("r1", "healthy", "B"),
    row("r2", "infected", "A"),
    row("r3", "severe", "B", { geographicMean: 6 }),
    row("r4", "infected", "B", { geographicMean: 2 }),
  ],
  vectors: [0, 10, 80, 90, 55].map(unit),
};
const queries = {
  rows: [
    row("q0", "healthy", "A"),
    row("q1", "infected", "A", { patientId: "p:x", linkedPatientIds: ["p:x"], offsetDays: 0 }),
    row("q2", "severe", "B", { patientId: "p:x", linkedPatientIds: ["p:x"], offsetDays: 5 }),
  ],
  vectors: [3, 70, 88].map(unit),
};

describe("evaluate on a hand-computed toy case", () => {
  const r = evaluate(reference, queries, { k: 2, kSource: 1 });

  it("computes purity over all neighbours", () => {
    expect(r.purity.healthy).toEqual({ value: 1, queries: 1, neighbours: 2 });
    expect(r.purity.infected).toEqual({ value: 1, queries: 1, neighbours: 2 });
    expect(r.purity.severe).toEqual({ value: 1, queries: 1, neighbours: 2 });
    expect(r.purity.severeStrict).toEqual({ value: 0.5, queries: 1, neighbours: 2 });
  });

  it("computes purity over other-source neighbours only", () => {
    expect(r.purityOtherSource.healthy.value).toBe(0.5);
    expect(r.purityOtherSource.infected.value).toBe(1);
    expect(r.purityOtherSource.severe.value).toBe(0.5);
    expect(r.purityOtherSource.severeStrict.value).toBe(0);
    expect(r.puritySource.A!.all.healthy.value).toBe(1);
    expect(r.puritySource.B!.otherSource.severe.value).toBe(0.5);
  });

  it("builds the majority-vote confusion (a 1-1 tie goes to the more similar class)", () => {
    expect(r.confusion.matrix).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(r.confusion.accuracy).toBe(1);
    expect(r.counts.reference).toEqual({ healthy: 2, infected: 2, severe: 1, total: 5 });
    expect(r.counts.queriesBySource).toEqual({
      A: { healthy: 1, infected: 1, severe: 0 },
      B: { healthy: 0, infected: 0, severe: 1 },
    });
  });

  it("follows drift direction and reports no geographic fit with fewer than 3 scored reference images", () => {
    // q1: two infected neighbours → index 0.5; q2: severe (cos 2°) + infected (cos 8°) → ≈ 0.751: worse, as the experts.
    expect(r.drift).toMatchObject({ directionAgreement: 1, pairs: 1, agreeing: 1, patients: 1 });
    expect(r.severity.geographic).toBeNull();
  });

  it("predicts the source within a class from the nearest same-class reference image", () => {
    // healthy: q0 (A) → nearest healthy reference r0 (A). infected: q1 (A) → r2 (A) at 10° beats r4 (B) at 15°.
    expect(r.sourceLeakage.byClass.healthy).toMatchObject({ queries: 1, accuracy: 1, majorityBaseline: 1 });
    expect(r.sourceLeakage.byClass.infected).toMatchObject({ queries: 1, accuracy: 1 });
    expect(r.sourceLeakage.byClass.severe).toBeUndefined(); // one source only among severe references
  });
});

describe("severity", () => {
  it("weights neighbour classes by similarity", () => {
    const rows = [row("a", "severe", "A"), row("b", "infected", "A"), row("c", "healthy", "A")];
    const ns = [
      { index: 0, similarity: 1 },
      { index: 1, similarity: 0.5 },
    ];
    expect(severityIndex(ns, rows)).toBeCloseTo((1 * 1 + 0.5 * 0.5) / 1.5, 5);
    expect(severityIndex([{ index: 2, similarity: 0.9 }], rows)).toBe(0);
  });

  it("calibrates on the reference only and tracks the expert score along a severity axis", () => {
    // Expert geographic score g ↦ angle 10 g degrees; severity class from g.
    const cls = (g: number): ReferenceClass => (g < 1 ? "healthy" : g < 5 ? "infected" : "severe");
    const refG = [0, 0.5, 1, 2, 3, 4, 5, 6, 7, 8];
    const ref = {
      rows: refG.map((g, i) => row(`r${i}`, cls(g), i % 2 ? "A" : "B", { geographicMean: g, opacityMean: g * 0.75 })),
      vectors: refG.map((g) => unit(g * 10)),
    };
    const qG = [0.2, 2.5, 4.5, 7.5];
    const make = (scores: number[]) => ({
      rows: scores.map((g, i) => row(`q${i}`, cls(g), "A", { geographicMean: g })),
      vectors: qG.map((g) => unit(g * 10)),
    });
    const a = evaluate(ref, make(qG), { k: 3, kRegression: 2 });
    expect(a.severity.geographic!.pearson!).toBeGreaterThan(0.95);
    expect(a.severity.geographic!.mae!).toBeLessThan(1);
    expect(a.severity.opacity).not.toBeNull();
    // Changing the queries' expert scores changes the metrics but never the calibration.
    const b = evaluate(ref, make([8, 0, 3, 1]), { k: 3, kRegression: 2 });
    expect(b.severity.geographic!.calibration).toEqual(a.severity.geographic!.calibration);
    expect(b.severity.geographic!.estimator).toBe(a.severity.geographic!.estimator);
  });
});
