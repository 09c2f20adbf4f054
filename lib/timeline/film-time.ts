// How a film's moment of acquisition reads on the patient page: the day, with the time of day only when it was
// recorded (a film without a time is stored at midnight, which must not read as "00:00"), and how far apart two films
// are, in days, or in hours and minutes when both were taken on one day.
const DAY = 86_400_000;

export interface FilmMoment {
  /** ISO instant of acquisition (UTC): the day, plus the time of day when it was recorded. */
  date: string;
  /** Whether the time of day was recorded (else `date` is the day's midnight). */
  timed: boolean;
}

/** "2026-01-05", or "2026-01-05 08:15" when the time of day is known (UTC, like the chart, table and CSV). */
export function filmWhen(film: FilmMoment): string {
  return film.timed ? `${film.date.slice(0, 10)} ${film.date.slice(11, 16)}` : film.date.slice(0, 10);
}

function dayNumber(iso: string): number {
  return Math.round(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY);
}

function hoursAndMinutes(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/**
 * The interval between two films, whichever comes first: "12 days between A and B" (calendar days), or for films
 * of one day "Same day: 6 h 15 min between 08:15 and 14:30 on 2026-01-17" (or a note when a time is missing).
 */
export function filmInterval(a: FilmMoment, b: FilmMoment): string {
  const [earlier, later] = Date.parse(a.date) <= Date.parse(b.date) ? [a, b] : [b, a];
  const days = dayNumber(later.date) - dayNumber(earlier.date);
  if (days > 0) return `${days} ${days === 1 ? "day" : "days"} between ${filmWhen(earlier)} and ${filmWhen(later)}`;
  const day = earlier.date.slice(0, 10);
  if (!earlier.timed || !later.timed) return `Same day (${day}); the time of day of one film or both is not recorded`;
  const apart = Date.parse(later.date) - Date.parse(earlier.date);
  if (apart === 0) return `Same day and time (${filmWhen(earlier)})`;
  return `Same day: ${hoursAndMinutes(apart)} between ${earlier.date.slice(11, 16)} and ${later.date.slice(11, 16)} on ${day}`;
}
