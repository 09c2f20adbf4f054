import { csvLine } from "@/lib/csv";
import type { PatientTimeline } from "./timeline";

/**
 * The timeline as CSV, one row per scan in acquisition order, the same columns as the page's table: the day and,
 * when recorded, the time of day (UTC; empty when not recorded, so films of one day can be told apart and ordered),
 * the calibrated extent (0-8) with its interval when the model has an extent head, the neighbours' index and class
 * mix, alert, model.
 */
export function timelineCsv(timeline: PatientTimeline): string {
  const alerts = new Map(timeline.drift.alerts.map((a) => [a.scanId, a.kind]));
  const rows = [
    [
      "acquired_at",
      "acquired_time",
      "scan_id",
      "extent",
      "extent_lo",
      "extent_hi",
      "severity_index",
      "region",
      "healthy",
      "infected",
      "severe",
      "alert",
      "model_id",
    ],
    ...timeline.scans.map((s) => [
      s.acquiredAt.toISOString().slice(0, 10),
      s.timed ? s.acquiredAt.toISOString().slice(11, 19) : null,
      s.scanId,
      s.extent ? s.extent.value.toFixed(2) : null,
      s.extent ? s.extent.lo.toFixed(2) : null,
      s.extent ? s.extent.hi.toFixed(2) : null,
      s.assessment ? s.assessment.index.toFixed(4) : null,
      s.assessment?.region ?? null,
      s.assessment?.mix.healthy ?? null,
      s.assessment?.mix.infected ?? null,
      s.assessment?.mix.severe ?? null,
      alerts.get(s.scanId) ?? null,
      timeline.modelId,
    ]),
  ];
  return rows.map((r) => csvLine(r)).join("");
}
