import { describe, expect, it } from "vitest";
import { displayName, namesConflict, patientSex } from "./matching";

describe("namesConflict", () => {
  it("accepts the same person written the DICOM way, with accents, case or extra components", () => {
    expect(namesConflict("Doe^Jane", "Jane Doe")).toBe(false);
    expect(namesConflict("MÜLLER^Jörg^^Dr", "Jorg Muller")).toBe(false);
    expect(namesConflict("Doe^Jane^Mary", "Jane Mary Doe")).toBe(false);
    expect(namesConflict("", "Jane Doe")).toBe(false);
  });

  it("flags another person, and accepts a name an admin confirmed before", () => {
    expect(namesConflict("Smith^John", "Jane Doe")).toBe(true);
    expect(namesConflict("Doe^John", "Jane Doe")).toBe(true);
    expect(namesConflict("Doe-Smith^Jane", "Jane Doe", "Doe-Smith^Jane")).toBe(false);
  });
});

describe("patient fields from DICOM", () => {
  it("formats names and sexes", () => {
    expect(displayName("Doe^Jane^Mary")).toBe("Jane Mary Doe");
    expect(displayName("Doe")).toBe("Doe");
    expect(patientSex("F")).toBe("female");
    expect(patientSex("")).toBe("unknown");
  });
});
