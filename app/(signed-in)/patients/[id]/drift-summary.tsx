import type { PatientDrift } from "@/lib/drift/trend";

const STATUS_TEXT = {
  improving: "Improving",
  stable: "Stable",
  worsening: "Worsening",
  insufficient: "Not enough scans for a trend",
} as const;

export function trendArrow(slope: number | null): string {
  if (slope === null) return "·";
  if (slope > 0.02) return "↑";
  if (slope < -0.02) return "↓";
  return "→";
}

export function DriftSummary({ drift }: { drift: PatientDrift }) {
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
            : `${trendArrow(drift.slopePerWeek)} ${drift.slopePerWeek >= 0 ? "+" : ""}${drift.slopePerWeek.toFixed(3)} per week`}
        </dd>
      </div>
      <div>
        <dt>Latest index</dt>
        <dd>{drift.latest ? `${drift.latest.index.toFixed(2)} (${drift.latest.region})` : "—"}</dd>
      </div>
      <div>
        <dt>Alerts</dt>
        <dd>{drift.alerts.length === 0 ? "none" : <span className="alert-badge">{drift.alerts.length}</span>}</dd>
      </div>
    </dl>
  );
}
