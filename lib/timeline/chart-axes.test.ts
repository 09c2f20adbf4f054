import { describe, expect, it } from "vitest";
import { calendarStep, dateRange, MAX_DATE_TICKS, valueRange } from "./chart-axes";

const DAY = 86_400_000;

describe("calendarStep", () => {
  it("steps by day over a few days, by week over weeks, by month over months, by year over years", () => {
    expect(calendarStep(5 * DAY)).toEqual({ unit: "day", step: 1 });
    expect(calendarStep(15 * DAY)).toEqual({ unit: "day", step: 2 });
    expect(calendarStep(40 * DAY)).toEqual({ unit: "week", step: 1 });
    expect(calendarStep(100 * DAY)).toEqual({ unit: "week", step: 2 });
    expect(calendarStep(200 * DAY)).toEqual({ unit: "month", step: 1 });
    expect(calendarStep(2 * 365 * DAY)).toEqual({ unit: "quarter", step: 1 });
    expect(calendarStep(6 * 365 * DAY)).toEqual({ unit: "year", step: 1 });
    expect(calendarStep(30 * 365 * DAY)).toEqual({ unit: "year", step: 4 });
  });

  it("never asks for more ticks than the axis can carry", () => {
    const unitMs = { day: DAY, week: 7 * DAY, month: 31 * DAY, quarter: 92 * DAY, year: 366 * DAY };
    for (let days = 0; days < 4000; days += 7) {
      const { unit, step } = calendarStep(days * DAY);
      expect((days * DAY) / (unitMs[unit] * step)).toBeLessThanOrEqual(MAX_DATE_TICKS);
    }
  });
});

describe("ranges", () => {
  it("pads the date range on both sides, by at least half a day for one film", () => {
    expect(dateRange([10 * DAY])).toEqual({ min: 9.5 * DAY, max: 10.5 * DAY });
    const r = dateRange([0, 100 * DAY]);
    expect(r.min).toBeLessThan(0);
    expect(r.max).toBeGreaterThan(100 * DAY);
  });

  it("gives the value axis headroom above the top of the scale and room below its bottom", () => {
    const r = valueRange({ min: 0, max: 8 });
    expect(r.max).toBeGreaterThan(8);
    expect(r.min).toBeLessThan(0);
  });
});
