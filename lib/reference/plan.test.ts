import { describe, expect, it } from "vitest";
import { parseMetadata } from "./metadata";
import { includePediatricFromEnv } from "@/lib/config";
import { classOfSeverity, countByReason, planImport, SKIP_REASONS } from "./plan";

const CSV = [
  "id,source,patient_id,offset_days,severity,age_group,notes",
  "a1,src,p:1,,healthy,adult,",
  "a2,src,p:2,,infected,,",
  "a3,src,p:3,,severe,adult,",
  "b1,src,p:4,,,adult,",
  "b2,src,p:5,,critical,adult,",
  "c1,src,p:6,,healthy,pediatric,",
  "d1,src,p:7,0,severe,adult,",
  "../evil,src,p:8,,healthy,adult,",
  "short,src",
].join("\n");

describe("planImport", () => {
  const metadata = parseMetadata(CSV, "/corpus");

  it("maps severity to a class and gives every refused row a reason", () => {
    const plan = planImport(metadata, { includePediatric: false, reservedIds: new Set(["d1"]) });
    expect(plan.accepted.map((p) => [p.row.id, p.class])).toEqual([
      ["a1", "healthy"],
      ["a2", "infected"],
      ["a3", "severe"],
    ]);
    const reasons = Object.fromEntries(plan.skipped.map((s) => [s.id ?? `line ${s.line}`, s.reason]));
    expect(reasons).toEqual({
      b1: SKIP_REASONS.blankSeverity,
      b2: SKIP_REASONS.unknownSeverity,
      c1: SKIP_REASONS.pediatric,
      d1: SKIP_REASONS.demo,
      "../evil": SKIP_REASONS.malformed,
      "line 10": SKIP_REASONS.malformed,
    });
    expect(countByReason(plan.skipped)[0]).toEqual({ reason: SKIP_REASONS.malformed, count: 2 });
  });

  it("includes pediatric films when asked", () => {
    const plan = planImport(metadata, { includePediatric: true, reservedIds: new Set() });
    expect(plan.accepted.map((p) => p.row.id)).toContain("c1");
  });
});

describe("small rules", () => {
  it("knows exactly three classes", () => {
    expect(["healthy", " Severe ", "infected", "", "mild"].map(classOfSeverity)).toEqual([
      "healthy",
      "severe",
      "infected",
      null,
      null,
    ]);
  });

  it("reads RADTRACK_REFERENCE_INCLUDE_PEDIATRIC", () => {
    expect(includePediatricFromEnv({})).toBe(false);
    expect(includePediatricFromEnv({ RADTRACK_REFERENCE_INCLUDE_PEDIATRIC: "1" })).toBe(true);
    expect(includePediatricFromEnv({ RADTRACK_REFERENCE_INCLUDE_PEDIATRIC: "0" })).toBe(false);
  });
});
