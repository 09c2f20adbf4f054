import { describe, expect, it } from "vitest";
import {
  AcquisitionDateError,
  acquisitionInstant,
  checkDicomAcquisition,
  dayProblem,
  dicomTime,
  isoDay,
  normaliseTime,
  resolveAcquisition,
  splitInstant,
  timeOfDay,
} from "./acquisition-date";

const NOW = Date.parse("2026-12-07T12:00:00Z");

describe("the acquisition date rule", () => {
  it("takes real days from 1895 to tomorrow (a day of clock skew)", () => {
    for (const day of ["1895-01-01", "1990-06-30", "2024-02-29", "2026-12-07", "2026-12-08"]) {
      expect(dayProblem(day, NOW), day).toBeNull();
    }
  });

  it("refuses days that do not exist, the far future, before 1895 and year 0", () => {
    expect(dayProblem("2026-02-30", NOW)).toBe("This date does not exist.");
    expect(dayProblem("2025-13-01", NOW)).toBe("This date does not exist.");
    expect(dayProblem("9999-12-31", NOW)).toBe("The acquisition date cannot be in the future.");
    expect(dayProblem("2026-12-09", NOW)).toBe("The acquisition date cannot be in the future.");
    expect(dayProblem("1894-12-31", NOW)).toBe("The acquisition date cannot be before 1895.");
    expect(dayProblem("1800-01-01", NOW)).toBe("The acquisition date cannot be before 1895.");
    expect(dayProblem("0001-01-01", NOW)).toBe("The acquisition date cannot be before 1895.");
    expect(dayProblem("0000-01-01", NOW)).toBe("The acquisition date cannot be before 1895.");
    expect(dayProblem("15/01/2026", NOW)).toBe("Use the date format YYYY-MM-DD.");
  });

  it("gives one message per bad form value", () => {
    const r = isoDay.safeParse("2026-02-31");
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message)).toEqual(["This date does not exist."]);
    expect(isoDay.safeParse(" 2024-01-02 ").data).toBe("2024-01-02");
  });

  it("reads times of day as HH:MM[:SS[.fff]] and DICOM TM", () => {
    expect(normaliseTime("07:05")).toBe("07:05:00.000");
    expect(normaliseTime("23:59:59.5")).toBe("23:59:59.500");
    expect(normaliseTime("24:00")).toBeNull();
    expect(normaliseTime("7:05")).toBeNull();
    expect(timeOfDay.safeParse("14:30").data).toBe("14:30:00.000");
    expect(timeOfDay.safeParse("2pm").success).toBe(false);
    expect(dicomTime("143015.123456")).toBe("14:30:15.123");
    expect(dicomTime("1430")).toBe("14:30:00.000");
    expect(dicomTime("14")).toBe("14:00:00.000");
    expect(dicomTime("14:30:15")).toBe("14:30:15.000");
    expect(dicomTime("256100")).toBeNull();
    expect(dicomTime("14.5")).toBeNull();
    expect(dicomTime("noon")).toBeNull();
  });

  it("checks DICOM dates by the same rule, naming the tag", () => {
    for (const date of ["99991231", "00010101", "18000101", "00000101"]) {
      const r = checkDicomAcquisition({ tag: "AcquisitionDate", date }, NOW);
      expect(r.ok, date).toBe(false);
      expect(!r.ok && r.problem).toMatch(new RegExp(`^The DICOM AcquisitionDate "${date}" cannot be used: `));
    }
    expect(checkDicomAcquisition({ tag: "StudyDate", date: "2024.03.02", time: "0815" }, NOW)).toEqual({
      ok: true,
      day: "2024-03-02",
      time: "08:15:00.000",
      warnings: [],
    });
    const badTime = checkDicomAcquisition({ tag: "ContentDate", date: "20240302", time: "99" }, NOW);
    expect(badTime).toMatchObject({ ok: true, time: null });
    expect(badTime.ok && badTime.warnings[0]).toMatch(/ContentTime "99" is not a time/);
    expect(checkDicomAcquisition({ tag: "StudyDate", date: "2024-03" }, NOW)).toMatchObject({ ok: false });
  });

  it("resolves an upload's date: given, else the header's (refused when bad), else now", () => {
    const bad = { tag: "AcquisitionDate" as const, date: "99991231", time: "101010" };
    expect(() => resolveAcquisition(undefined, bad, NOW)).toThrow(AcquisitionDateError);
    expect(() => resolveAcquisition(undefined, bad, NOW)).toThrow(/Enter the acquisition date on the form/);
    const given = resolveAcquisition({ day: "2024-05-01", time: null }, bad, NOW);
    expect(given.day).toBe("2024-05-01");
    expect(given.warnings[0]).toMatch(/AcquisitionDate "99991231" cannot be used.*The date you gave was used/);
    // The header's time orders films of the given day when it names that day.
    const good = { tag: "AcquisitionDate" as const, date: "20240501", time: "0930" };
    expect(resolveAcquisition({ day: "2024-05-01", time: null }, good, NOW).time).toBe("09:30:00.000");
    expect(resolveAcquisition({ day: "2024-05-02", time: null }, good, NOW).time).toBeNull();
    expect(resolveAcquisition({ day: "2024-05-01", time: "18:00:00.000" }, good, NOW).time).toBe("18:00:00.000");
    expect(resolveAcquisition(undefined, undefined, NOW)).toEqual({
      day: "2026-12-07",
      time: "12:00:00.000",
      warnings: [],
    });
    expect(() => resolveAcquisition({ day: "1700-01-01", time: null }, undefined, NOW)).toThrow(/before 1895/);
    expect(() => resolveAcquisition({ day: "2026-12-08", time: "23:00:00.000" }, undefined, NOW)).toThrow(
      /time cannot be in the future/,
    );
  });

  it("splits and joins instants as the timeline orders them", () => {
    expect(splitInstant(new Date("2024-05-01T00:00:00Z"))).toEqual({ day: "2024-05-01", time: null });
    expect(splitInstant(new Date("2024-05-01T09:30:00.250Z"))).toEqual({ day: "2024-05-01", time: "09:30:00.250" });
    const day = new Date("2024-05-01T00:00:00Z");
    expect(acquisitionInstant(day, "09:30:00.250").toISOString()).toBe("2024-05-01T09:30:00.250Z");
    expect(acquisitionInstant(day, new Date("1970-01-01T17:00:00Z")).toISOString()).toBe("2024-05-01T17:00:00.000Z");
    expect(acquisitionInstant(day, null).toISOString()).toBe("2024-05-01T00:00:00.000Z");
  });
});
