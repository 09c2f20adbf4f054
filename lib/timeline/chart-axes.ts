// Axis choices of the timeline chart, kept apart from chart.js so they can be tested: calendar steps for the date
// axis by the span the films cover, and padding so that no marker sits on the plot frame.
export type CalendarUnit = "day" | "week" | "month" | "quarter" | "year";

export interface CalendarStep {
  unit: CalendarUnit;
  /** Units between two ticks. */
  step: number;
}

const DAY = 86_400_000;

/** The most ticks the date axis should carry; below it the steps stay calendar units (1 or 2 days, 1 or 2 weeks...). */
export const MAX_DATE_TICKS = 10;

const STEPS: readonly (CalendarStep & { ms: number })[] = [
  { unit: "day", step: 1, ms: DAY },
  { unit: "day", step: 2, ms: 2 * DAY },
  { unit: "week", step: 1, ms: 7 * DAY },
  { unit: "week", step: 2, ms: 14 * DAY },
  { unit: "month", step: 1, ms: 30.44 * DAY },
  { unit: "quarter", step: 1, ms: 91.3 * DAY },
  { unit: "month", step: 6, ms: 182.6 * DAY },
  { unit: "year", step: 1, ms: 365.25 * DAY },
];

/** The finest regular calendar step that gives at most MAX_DATE_TICKS ticks over `spanMs`. */
export function calendarStep(spanMs: number): CalendarStep {
  for (const s of STEPS) {
    if (spanMs / s.ms <= MAX_DATE_TICKS - 1) return { unit: s.unit, step: s.step };
  }
  const years = Math.ceil(spanMs / (365.25 * DAY) / (MAX_DATE_TICKS - 1));
  return { unit: "year", step: years };
}

export interface Range {
  min: number;
  max: number;
}

/**
 * The date axis' range: the films' first and last time, widened on both sides by a share of the span (at least
 * half a day), so the first and last markers sit inside the plot rather than on its left and right edges.
 */
export function dateRange(times: readonly number[], share = 0.04): Range {
  if (times.length === 0) throw new Error("a date range needs at least one time");
  const min = Math.min(...times);
  const max = Math.max(...times);
  const pad = Math.max((max - min) * share, DAY / 2);
  return { min: min - pad, max: max + pad };
}

/**
 * The value axis' drawn range: the scale's domain widened by a share of its length above and below, so a value at
 * the top of the scale (or an alert marker on it) has headroom instead of sitting on the frame.
 */
export function valueRange(domain: Range, share = 0.08): Range {
  const pad = (domain.max - domain.min) * share;
  return { min: domain.min - pad, max: domain.max + pad };
}
