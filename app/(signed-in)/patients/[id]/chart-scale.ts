// The timeline chart's scale and points from the timeline's values: the one place that knows which severity scale
// the patient page draws (today the neighbours' index in [0, 1] with its three regions).
import { REGION_BOUNDS } from "@/lib/drift/severity";
import type { ChartPoint, ChartScaleSpec, TimelinePointView } from "./timeline-types";

export const INDEX_SCALE: ChartScaleSpec = {
  min: 0,
  max: 1,
  title: "Severity index",
  caption: "Severity index over time (0 = healthy neighbours, 1 = severe).",
  bands: [
    { from: 0, to: REGION_BOUNDS.infected, colour: "rgba(63, 185, 80, 0.12)", label: "healthy" },
    { from: REGION_BOUNDS.infected, to: REGION_BOUNDS.severe, colour: "rgba(210, 153, 34, 0.14)", label: "infected" },
    { from: REGION_BOUNDS.severe, to: 1, colour: "rgba(248, 81, 73, 0.16)", label: "severe" },
  ],
  tickStep: 0.1,
  decimals: 1,
};

export function chartPoints(points: readonly TimelinePointView[]): ChartPoint[] {
  return points.flatMap((p) => {
    if (p.index === null) return [];
    const mix = p.mix ? ` · ${p.mix.healthy} healthy / ${p.mix.infected} infected / ${p.mix.severe} severe` : "";
    return [
      {
        id: p.scanId,
        date: p.date,
        value: p.index,
        lo: p.lo ?? null,
        hi: p.hi ?? null,
        alert: p.alert,
        label: `${p.region ?? ""}${mix}`,
      },
    ];
  });
}
