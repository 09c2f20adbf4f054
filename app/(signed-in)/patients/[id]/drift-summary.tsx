import type { PatientDrift } from "@/lib/drift/trend";
import type { ScaleView } from "./timeline-types";

const STATUS_TEXT = {
  improving: "Improving",
  stable: "Stable",
  worsening: "Worsening",
  insufficient: "Not enough scans for a trend",
} as const;

/** An arrow for the trend; "flat" is anything within 1% of the scale's range per week. */
export function trendArrow(slope: number | null, max = 1): string {
  if (slope === null) return "·";
  if (slope > 0.02 * max) return "↑";
  if (slope < -0.02 * max) return "↓";
  return "→";
}

export function DriftSummary({ drift, scale, modelId }: { drift: PatientDrift; scale: ScaleView; modelId: string }) {
  const digits = scale.id === "extent" ? 2 : 3;
  const latest = drift.latest;
  return (
    <dl className="drift-summary">
      <div>
        <dt>Status</dt>
        <dd className={`status status-${drift.status}`}>{STATUS_TEXT[drift.status]}</dd>
      </div>
      <div>
        <dt>Trend</dt>
        <dd>
          {drift.slopePerWeek === null
            ? "—"
            : `${trendArrow(drift.slopePerWeek, scale.max)} ${drift.slopePerWeek >= 0 ? "+" : ""}${drift.slopePerWeek.toFixed(digits)} ${scale.unit} per week`}
        </dd>
      </div>
      <div>
        <dt>{scale.id === "extent" ? "Latest extent (0-8)" : "Latest index"}</dt>
        <dd>
          {latest
            ? `${latest.index.toFixed(scale.id === "extent" ? 1 : 2)}${
                latest.lo !== undefined && latest.hi !== undefined
                  ? ` (${latest.lo.toFixed(1)}–${latest.hi.toFixed(1)})`
                  : ""
              } · ${latest.region}`
            : "—"}
        </dd>
      </div>
      <div>
        <dt>Alerts</dt>
        <dd>{drift.alerts.length === 0 ? "none" : <span className="alert-badge">{drift.alerts.length}</span>}</dd>
      </div>
      <div>
        <dt>Model</dt>
        <dd>
          {modelId}
          {scale.calibrated ? "" : " (uncalibrated index)"}
        </dd>
      </div>
    </dl>
  );
}
