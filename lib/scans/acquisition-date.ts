// The one rule for when a film was taken, for every way a date enters Radtrack: the upload form and the API, DICOM
// headers (single upload and bulk), and bulk manifests. A date that breaks the rule is refused with a message and
// never stored as written: a year-9999 film would stay a patient's "latest" for ever, and a year-0 date is not even
// a value PostgreSQL can hold.
//
// Dates are calendar days (yyyy-mm-dd) stored at midnight UTC; the time of day (when known) is kept apart, so a
// film whose time nobody knows is not placed at an invented hour. DICOM dates and times carry no zone: they are
// taken as written, like the form's.
import { z } from "zod";
import type { DicomAcquisition, DicomDateTag } from "@/lib/image/types";

/** Radiography began in late 1895; nothing earlier is an X-ray. */
export const EARLIEST_DAY = "1895-01-01";
/** Clocks of modalities and browsers drift, and time zones run ahead of UTC: a day of slack for "the future". */
export const CLOCK_SKEW_MS = 86_400_000;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** What is wrong with a yyyy-mm-dd day, or null when it is a real day between 1895 and tomorrow. */
export function dayProblem(day: string, now: number = Date.now()): string | null {
  if (!DAY_RE.test(day)) return "Use the date format YYYY-MM-DD.";
  const t = Date.parse(`${day}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March: a round trip catches days that do not exist (and year 0).
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) return "This date does not exist.";
  if (t > now + CLOCK_SKEW_MS) return "The acquisition date cannot be in the future.";
  if (day < EARLIEST_DAY) return "The acquisition date cannot be before 1895.";
  return null;
}

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,3}))?)?$/;

/** "HH:MM", "HH:MM:SS" or "HH:MM:SS.fff" (24-hour) as the canonical "HH:MM:SS.fff", or null when it is not one. */
export function normaliseTime(time: string): string | null {
  const m = TIME_RE.exec(time.trim());
  if (!m) return null;
  return `${m[1]}:${m[2]}:${m[3] ?? "00"}.${(m[4] ?? "").padEnd(3, "0")}`;
}

/** The moment a film was taken, as the timeline orders and plots it: the day, plus its time when known. */
export function acquisitionInstant(day: Date, time: Date | string | null | undefined): Date {
  const ms = time == null ? 0 : typeof time === "string" ? timeMs(time) : time.getTime() % 86_400_000;
  return new Date(day.getTime() + ms);
}

function timeMs(time: string): number {
  const [h, m, s] = time.split(":").map(Number);
  return ((h! * 60 + m!) * 60 + s!) * 1000;
}

/** A yyyy-mm-dd day as the Date stored for it (midnight UTC). */
export const dayDate = (day: string): Date => new Date(`${day}T00:00:00Z`);

/** A canonical "HH:MM:SS.fff" as the Date Prisma writes to a TIME column (1970-01-01, UTC). */
export const timeDate = (time: string): Date => new Date(`1970-01-01T${time}Z`);

/** A TIME column's value as "HH:MM:SS.fff", or null. */
export const timeText = (time: Date | null): string | null => (time ? time.toISOString().slice(11, 23) : null);

/** A Date's UTC day and, unless it is exactly midnight, its UTC time of day. */
export function splitInstant(at: Date): { day: string; time: string | null } {
  const iso = at.toISOString();
  const time = iso.slice(11, 23);
  return { day: iso.slice(0, 10), time: time === "00:00:00.000" ? null : time };
}

// The checks after the format run only on well-formed input (pipe), so a bad date gets one message, not four.
export const isoDay = z
  .string()
  .trim()
  .superRefine((day, ctx) => {
    const problem = dayProblem(day);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const timeOfDay = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const time = normaliseTime(value);
    if (time === null) {
      ctx.addIssue({ code: "custom", message: "Use the time format HH:MM (24-hour), e.g. 14:30." });
      return z.NEVER;
    }
    return time;
  });

// ---- DICOM ----------------------------------------------------------------------------------------------------------

export const DICOM_TIME_TAG: Readonly<Record<DicomDateTag, string>> = {
  AcquisitionDate: "AcquisitionTime",
  ContentDate: "ContentTime",
  StudyDate: "StudyTime",
};

/** DA is yyyymmdd; old ACR-NEMA files wrote yyyy.mm.dd. Anything else is not a DICOM date. */
function dicomDay(value: string): string | null {
  const digits = value.trim().replace(/\./g, "");
  if (!/^\d{8}$/.test(digits)) return null;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}

/** TM is HH[MM[SS[.F{1,6}]]]; ACR-NEMA wrote HH:MM:SS. Fractions are cut to milliseconds. */
export function dicomTime(value: string): string | null {
  const v = value.trim().replace(/:/g, "");
  const m = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/.exec(v);
  if (!m || (m[4] !== undefined && m[3] === undefined)) return null;
  return normaliseTime(`${m[1]}:${m[2] ?? "00"}:${m[3] ?? "00"}${m[4] ? `.${m[4].slice(0, 3)}` : ""}`);
}

export type DicomDateCheck =
  { ok: true; day: string; time: string | null; warnings: string[] } | { ok: false; problem: string };

/** The day (and time) a DICOM header gives, checked by the same rule as the form's. */
export function checkDicomAcquisition(source: DicomAcquisition, now: number = Date.now()): DicomDateCheck {
  const shown = JSON.stringify(source.date.slice(0, 40));
  const day = dicomDay(source.date);
  const problem = day === null ? "It is not a DICOM date (YYYYMMDD)." : dayProblem(day, now);
  if (problem) return { ok: false, problem: `The DICOM ${source.tag} ${shown} cannot be used: ${problem}` };
  const warnings: string[] = [];
  let time: string | null = null;
  if (source.time !== undefined) {
    time = dicomTime(source.time);
    if (time === null) {
      warnings.push(
        `The DICOM ${DICOM_TIME_TAG[source.tag]} ${JSON.stringify(source.time.slice(0, 40))} is not a time; ` +
          "the scan was stored without a time of day.",
      );
    } else if (dayDate(day!).getTime() + timeMs(time) > now + CLOCK_SKEW_MS) {
      return { ok: false, problem: `The DICOM ${source.tag} and time are in the future.` };
    }
  }
  return { ok: true, day: day!, time, warnings };
}

// ---- One upload -----------------------------------------------------------------------------------------------------

export interface Acquisition {
  /** yyyy-mm-dd */
  day: string;
  /** HH:MM:SS.fff, or null when unknown */
  time: string | null;
  warnings: string[];
}

/** Why the date of an upload cannot be used; the message is for the person who uploaded it. */
export class AcquisitionDateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AcquisitionDateError";
  }
}

/**
 * When a film was taken: the date (and time) the uploader gave, else the DICOM header's, else now. A date given by
 * the uploader wins over the header, whose bad date then only earns a warning; a bad header date with no date given
 * is refused (with a hint to give one), never stored as is nor silently replaced by today.
 */
export function resolveAcquisition(
  given: { day: string; time: string | null } | undefined,
  dicom: DicomAcquisition | undefined,
  now: number = Date.now(),
): Acquisition {
  const fromFile = dicom ? checkDicomAcquisition(dicom, now) : undefined;
  if (given) {
    const problem = dayProblem(given.day, now);
    if (problem) throw new AcquisitionDateError(problem);
    if (given.time && dayDate(given.day).getTime() + timeMs(given.time) > now + CLOCK_SKEW_MS) {
      throw new AcquisitionDateError("The acquisition time cannot be in the future.");
    }
    const warnings: string[] = [];
    if (fromFile && !fromFile.ok) warnings.push(`${fromFile.problem} The date you gave was used.`);
    // The header's time of day still orders films of that day when the uploader gave the same day but no time.
    const time = given.time ?? (fromFile?.ok && fromFile.day === given.day ? fromFile.time : null);
    return { day: given.day, time, warnings };
  }
  if (fromFile) {
    if (!fromFile.ok) {
      throw new AcquisitionDateError(
        `${fromFile.problem} Enter the acquisition date on the form (or in the manifest) to upload this file. Nothing was stored.`,
      );
    }
    return { day: fromFile.day, time: fromFile.time, warnings: fromFile.warnings };
  }
  const { day, time } = splitInstant(new Date(now));
  return { day, time: time ?? "00:00:00.000", warnings: [] };
}
