import { describe, expect, it } from "vitest";
import { selectDemoPatients } from "./demo-selection";
import { readMetadata } from "./metadata";
import { personKeys } from "./persons";
import { realCorpusDir } from "@/tests/support/reference/corpus-subset";

describe("demo patient selection on the real corpus", async () => {
  const { rows } = await readMetadata(realCorpusDir());
  const selection = selectDemoPatients(rows);

  it("picks 12 adult-or-unknown persons with 2+ dated films, class changers first, the same way every time", () => {
    expect(selection.patients).toHaveLength(12);
    expect(selectDemoPatients([...rows].reverse()).patients.map((p) => p.mrn)).toEqual(
      selection.patients.map((p) => p.mrn),
    );
    for (const p of selection.patients) {
      expect(p.scans.length).toBeGreaterThanOrEqual(2);
      expect(p.scans.every((s) => s.offsetDays !== null && s.ageGroup !== "pediatric")).toBe(true);
      expect(p.mrn).toMatch(/^DEMO-(COHEN|MHH)-[A-Z0-9]+$/);
      expect(p.name).toBe(`Demo patient ${p.rank}`);
    }
    const changers = selection.patients.map((p) => p.classChanges > 0);
    // Once a non-changer appears, no changer follows.
    expect(changers.indexOf(false) === -1 || !changers.slice(changers.indexOf(false)).includes(true)).toBe(true);
    expect(new Set(selection.patients.map((p) => p.mrn)).size).toBe(12);
  });

  it("reserves every film of a selected person, under all the patient ids that person is filed as", () => {
    const keys = personKeys(rows);
    const people = new Set(selection.patients.map((p) => p.person));
    const expected = rows.filter((r) => people.has(keys.get(r.patientId)!)).map((r) => r.id);
    expect([...selection.reservedIds].sort()).toEqual(expected.sort());
    // The corpus files some persons under a Cohen and a Hannover id: they must count as one.
    expect(selection.patients.some((p) => p.patientIds.length > 1)).toBe(true);
  });
});
