export type ClassName = "healthy" | "infected" | "severe";

/** One scan as the timeline components draw it (dates as ISO strings: they cross the server/client boundary). */
export interface TimelinePointView {
  scanId: string;
  date: string;
  index: number | null;
  region: ClassName | null;
  mix: Record<ClassName, number> | null;
  alert: "entered_severe" | "sharp_rise" | null;
}
