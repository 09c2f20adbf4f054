export type ClassName = "healthy" | "infected" | "severe";

/** One scan as the timeline components draw it (dates as ISO strings: they cross the server/client boundary). */
export interface TimelinePointView {
  scanId: string;
  date: string;
  index: number | null;
  region: ClassName | null;
  mix: Record<ClassName, number> | null;
  alert: "entered_severe" | "sharp_rise" | null;
  /** The severity's interval, when the severity model gives one. */
  lo?: number | null;
  hi?: number | null;
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
