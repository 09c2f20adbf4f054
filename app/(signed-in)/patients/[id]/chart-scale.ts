// The timeline chart's scale and points from the timeline's values: the scale in use (lib/drift/scale.ts: the
// calibrated extent 0-8 with its interval, or the neighbours' 0-1 index) as the chart component's plain props.
import type { ChartPoint, ChartScaleSpec, ScaleView, TimelinePointView } from "./timeline-types";

export function chartScale(scale: ScaleView): ChartScaleSpec {
  const extent = scale.id === "extent";
  return {
    min: 0,
    max: scale.max,
    title: scale.unit ? `${scale.label} (${scale.unit})` : scale.label,
    caption: extent
      ? `${scale.label} over time (0-${scale.max}; severe region from ${scale.regions.severe}).`
      : "Severity index over time (0 = healthy neighbours, 1 = severe).",
    bands: [
      { from: 0, to: scale.regions.infected, colour: "rgba(63, 185, 80, 0.12)", label: "healthy" },
      { from: scale.regions.infected, to: scale.regions.severe, colour: "rgba(210, 153, 34, 0.14)", label: "infected" },
      { from: scale.regions.severe, to: scale.max, colour: "rgba(248, 81, 73, 0.16)", label: "severe" },
    ],
    tickStep: extent ? 1 : 0.1,
    decimals: extent ? 0 : 1,
  };
}

export function chartPoints(points: readonly TimelinePointView[]): ChartPoint[] {
  return points.flatMap((p) => {
    if (p.value === null) return [];
    const mix = p.mix ? ` · ${p.mix.healthy} healthy / ${p.mix.infected} infected / ${p.mix.severe} severe` : "";
    return [
      {
        id: p.scanId,
        date: p.date,
        value: p.value,
        lo: p.lo,
        hi: p.hi,
        alert: p.alert,
        label: `${p.region ?? ""}${mix}`,
      },
    ];
  });
}
