// A patient's course from the severity indices of their scans: the trend (change per week, Theil-Sen so that one
// noisy film cannot flip it), a status with documented thresholds, and alerts on single steps.
import { REGION_BOUNDS, regionOf, type Region } from "./severity";

export interface TimelinePoint {
  scanId: string;
  acquiredAt: Date;
  index: number;
  /** The model whose vectors produced this index. */
  modelId: string;
}

export interface DriftPolicy {
  /** Scans used for the trend: the most recent ones. */
  window: number;
  /** Index change per week beyond which the course is worsening or improving. */
  slopePerWeek: number;
  /** Rise between consecutive scans that raises an alert. */
  alertRise: number;
}

export const DEFAULT_POLICY: DriftPolicy = { window: 5, slopePerWeek: 0.02, alertRise: 0.15 };

export type Status = "improving" | "stable" | "worsening" | "insufficient";

export interface Alert {
  scanId: string;
  kind: "entered_severe" | "sharp_rise";
  /** Index change from the previous scan. */
  rise: number;
}

export interface PatientDrift {
  modelId: string | null;
  points: TimelinePoint[];
  /** Index change per week over the last `window` scans; null with fewer than two dated scans. */
  slopePerWeek: number | null;
  status: Status;
  alerts: Alert[];
  latest: (TimelinePoint & { region: Region }) | null;
  /** Points left out because another model produced them (they must be recomputed, never mixed). */
  excludedOtherModel: number;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Median of the pairwise slopes (Theil-Sen): robust to one outlier among three or more points. */
export function theilSenSlope(xs: readonly number[], ys: readonly number[]): number | null {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  if (slopes.length === 0) return null;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

export function patientDrift(
  all: readonly TimelinePoint[],
  modelId: string,
  policy: DriftPolicy = DEFAULT_POLICY,
): PatientDrift {
  const points = all
    .filter((p) => p.modelId === modelId)
    .sort((a, b) => a.acquiredAt.getTime() - b.acquiredAt.getTime() || a.scanId.localeCompare(b.scanId));
  const excludedOtherModel = all.length - points.length;
  const recent = points.slice(-policy.window);
  const slopePerWeek =
    recent.length >= 2
      ? theilSenSlope(
          recent.map((p) => p.acquiredAt.getTime() / WEEK_MS),
          recent.map((p) => p.index),
        )
      : null;
  const status: Status =
    slopePerWeek === null
      ? "insufficient"
      : slopePerWeek > policy.slopePerWeek
        ? "worsening"
        : slopePerWeek < -policy.slopePerWeek
          ? "improving"
          : "stable";
  const alerts: Alert[] = [];
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    const rise = cur.index - prev.index;
    if (cur.index >= REGION_BOUNDS.severe && prev.index < REGION_BOUNDS.severe) {
      alerts.push({ scanId: cur.scanId, kind: "entered_severe", rise });
    } else if (rise > policy.alertRise) {
      alerts.push({ scanId: cur.scanId, kind: "sharp_rise", rise });
    }
  }
  const last = points.at(-1);
  return {
    modelId: points.length ? modelId : null,
    points,
    slopePerWeek,
    status,
    alerts,
    latest: last ? { ...last, region: regionOf(last.index) } : null,
    excludedOtherModel,
  };
}
