import { describe, expect, it } from "vitest";
import type { EvalRow } from "./corpus";
import { gradedReport } from "./graded";

function row(id: string, patient: string, r1: number, r2: number, day: number): EvalRow {
  return {
    id,
    file: `/x/${id}.jpg`,
    source: "ralo",
    patientId: patient,
    linkedPatientIds: [patient],
    offsetDays: null,
    severity: "infected",
    geographicMean: (r1 + r2) / 2,
    opacityMean: null,
    ageGroup: null,
    reader1Geographic: r1,
    reader2Geographic: r2,
    examTime: new Date(Date.UTC(2020, 2, day)).toISOString(),
  };
}

describe("graded severity report", () => {
  // Patient a: 2 -> 4 -> 3 (expert means), patient b: 6 -> 6.5 (below the 1-point step: not a pair).
  const queries = [
    row("a1", "a", 2, 2, 1),
    row("a3", "a", 3, 3, 5),
    row("a2", "a", 4, 4, 3),
    row("b1", "b", 6, 6, 1),
    row("b2", "b", 6, 7, 2),
  ];

  it("computes extent agreement, pairs in exam order, and the readers' own agreement", () => {
    const r = gradedReport({
      queries,
      estimate: [2.5, 2.5, 4.5, 6, 6.4],
      neighbourExtent: [2, 3, 4, 6, 6],
      topSimilarities: [[0.9, 0.5]],
      bootstrap: 50,
    });
    expect(r.severity.extent.films).toBe(5);
    expect(r.severity.extent.mae).toBeCloseTo((0.5 + 0.5 + 0.5 + 0 + 0.1) / 5, 6);
    // Pairs: a1->a2 (+2, estimate +2) agrees, a2->a3 (-1, estimate -2) agrees.
    expect(r.drift.pairs).toBe(2);
    expect(r.drift.directionAgreement).toBe(1);
    expect(r.readers.films).toBe(5);
    expect(r.readers.mae).toBeCloseTo(1 / 5, 6);
    expect(r.severity.neighbours.top36SimilaritySpread).toBeCloseTo(0.4, 6);
    expect(r.severity.neighbours.pearson).toBeGreaterThan(0.9);
  });

  it("counts a move the wrong way against the estimate", () => {
    const r = gradedReport({
      queries,
      estimate: [3, 2, 2.5, 6, 6],
      neighbourExtent: [null, null, null, null, null],
      topSimilarities: [],
      bootstrap: 20,
    });
    // a1->a2: expert +2, estimate -0.5 (wrong); a2->a3: expert -1, estimate -0.5 (right).
    expect(r.drift.directionAgreement).toBe(0.5);
    expect(r.severity.neighbours.pearson).toBeNull();
  });
});
