export type ClassName = "healthy" | "infected" | "severe";

/** One scan as the timeline components draw it (dates as ISO strings: they cross the server/client boundary). */
export interface TimelinePointView {
  scanId: string;
  date: string;
  /** Whether `date` carries a recorded time of day (films of one day are ordered by it). */
  timed: boolean;
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

/** One film on the timeline chart, on whatever scale the chart is given. */
export interface ChartPoint {
  id: string;
  /** ISO date and time of acquisition: films of one day are drawn (and ordered) by their time. */
  date: string;
  value: number;
  /** The estimate's interval, when the severity model gives one. */
  lo?: number | null;
  hi?: number | null;
  alert?: string | null;
  /** Shown in the tooltip after the value (e.g. the region and the neighbours' class mix). */
  label?: string;
}

export interface ChartBand {
  from: number;
  to: number;
  label: string;
  colour: string;
}

/** The scale a chart draws on: domain, regions, tick step, decimals, axis title and a one-line caption. */
export interface ChartScaleSpec {
  min: number;
  max: number;
  title: string;
  caption: string;
  bands: ChartBand[];
  tickStep: number;
  decimals: number;
}

/** The scale the timeline uses (lib/drift/scale.ts), as plain data for the client components. */
export interface ScaleView {
  id: "extent" | "index";
  max: number;
  regions: { infected: number; severe: number };
  label: string;
  unit: string;
  calibrated: boolean;
}
