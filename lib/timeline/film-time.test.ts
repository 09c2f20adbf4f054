import { describe, expect, it } from "vitest";
import { filmInterval, filmWhen } from "./film-time";

const untimed = (day: string) => ({ date: `${day}T00:00:00.000Z`, timed: false });
const at = (day: string, time: string) => ({ date: `${day}T${time}:00.000Z`, timed: true });

describe("filmWhen", () => {
  it("shows the time of day only when it was recorded (midnight of an untimed film is not 00:00)", () => {
    expect(filmWhen(untimed("2026-01-05"))).toBe("2026-01-05");
    expect(filmWhen(at("2026-01-05", "00:00"))).toBe("2026-01-05 00:00");
    expect(filmWhen(at("2026-01-05", "14:30"))).toBe("2026-01-05 14:30");
  });
});

describe("filmInterval", () => {
  it("counts calendar days between films of different days, in either order, singular for one", () => {
    expect(filmInterval(untimed("2026-01-05"), untimed("2026-01-17"))).toBe(
      "12 days between 2026-01-05 and 2026-01-17",
    );
    expect(filmInterval(untimed("2026-01-17"), untimed("2026-01-05"))).toBe(
      "12 days between 2026-01-05 and 2026-01-17",
    );
    // 23:00 to 01:00 the next day is one calendar day, not 0 (two hours) nor a rounded fraction.
    expect(filmInterval(at("2026-01-05", "23:00"), at("2026-01-06", "01:00"))).toBe(
      "1 day between 2026-01-05 23:00 and 2026-01-06 01:00",
    );
  });

  it("says 'same day' with hours and minutes for two timed films of one day", () => {
    expect(filmInterval(at("2026-01-17", "14:30"), at("2026-01-17", "08:15"))).toBe(
      "Same day: 6 h 15 min between 08:15 and 14:30 on 2026-01-17",
    );
    expect(filmInterval(at("2026-01-17", "08:00"), at("2026-01-17", "10:00"))).toBe(
      "Same day: 2 h between 08:00 and 10:00 on 2026-01-17",
    );
    expect(filmInterval(at("2026-01-17", "08:00"), at("2026-01-17", "08:40"))).toBe(
      "Same day: 40 min between 08:00 and 08:40 on 2026-01-17",
    );
    expect(filmInterval(at("2026-01-17", "08:00"), at("2026-01-17", "08:00"))).toBe(
      "Same day and time (2026-01-17 08:00)",
    );
  });

  it("says 'same day' without inventing hours when a film of that day has no time", () => {
    expect(filmInterval(untimed("2026-01-17"), at("2026-01-17", "08:15"))).toBe(
      "Same day (2026-01-17); the time of day of one film or both is not recorded",
    );
  });
});
