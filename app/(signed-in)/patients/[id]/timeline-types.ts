export type ClassName = "healthy" | "infected" | "severe";

/** One scan as the timeline components draw it (dates as ISO strings: they cross the server/client boundary). */
export interface TimelinePointView {
  scanId: string;
  date: string;
  /** Severity on the scale in use: the calibrated extent (0-8) or, for an embedding-only model, the 0-1 index. */
  value: number | null;
  /** The estimate's interval on the same scale (extent only). */
  lo: number | null;
  hi: number | null;
  /** The neighbours' severity index (0-1), kept beside the calibrated value. */
  index: number | null;
  region: ClassName | null;
  mix: Record<ClassName, number> | null;
  alert: "entered_severe" | "sharp_rise" | null;
}

/** The scale the chart draws (lib/drift/scale.ts), as plain data for the client component. */
export interface ScaleView {
  id: "extent" | "index";
  max: number;
  regions: { infected: number; severe: number };
  label: string;
  unit: string;
  calibrated: boolean;
}
