// A patient's course from the severity values of their scans, on the model's scale (scale.ts): the trend (change
// per week, Theil-Sen so that one noisy film cannot flip it), a status with documented thresholds, and alerts on
// single steps. Alerts (docs/drift.md): entering the severe region, or a rise beyond what the estimate's own error
// explains, from below the severe region; a move inside the severe region never alerts.
import { INDEX_SCALE, regionOn, type SeverityScale } from "./scale";
import type { Region } from "./severity";

export interface TimelinePoint {
  scanId: string;
  acquiredAt: Date;
  /** Severity on the scale in use (extent 0-8, or the 0-1 index of an embedding-only model). */
  index: number;
  /** The estimate's interval, when the model gives one. */
  lo?: number;
  hi?: number;
  /** The model whose vectors produced this index. */
  modelId: string;
}

export interface DriftPolicy {
  /** Scans used for the trend: the most recent ones. */
  window: number;
  /** Change per week, as a fraction of the scale's range, beyond which the course is worsening or improving. */
  slopePerWeek: number;
  /** Smallest rise between consecutive scans, as a fraction of the scale's range, that raises an alert. */
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
  /** Change per week on the scale (points per week for extent) over the last `window` scans; null with < 2 scans. */
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

/**
 * The rise that counts as real between two estimates: the policy's floor, or, when both carry an interval, the
 * half-width of the difference of two independent errors (sqrt of the sum of squared half-widths), whichever is larger.
 */
export function riseThreshold(
  prev: TimelinePoint,
  cur: TimelinePoint,
  policy: DriftPolicy,
  scale: SeverityScale,
): number {
  const floor = policy.alertRise * scale.max;
  if (prev.lo === undefined || prev.hi === undefined || cur.lo === undefined || cur.hi === undefined) return floor;
  const a = (prev.hi - prev.lo) / 2;
  const b = (cur.hi - cur.lo) / 2;
  return Math.max(floor, Math.sqrt(a * a + b * b));
}

export function patientDrift(
  all: readonly TimelinePoint[],
  modelId: string,
  policy: DriftPolicy = DEFAULT_POLICY,
  scale: SeverityScale = INDEX_SCALE,
): PatientDrift {
  const points = all
    .filter((p) => p.modelId === modelId)
    .sort((a, b) => a.acquiredAt.getTime() - b.acquiredAt.getTime() || a.scanId.localeCompare(b.scanId));
  const limit = policy.slopePerWeek * scale.max;
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
      : slopePerWeek > limit
        ? "worsening"
        : slopePerWeek < -limit
          ? "improving"
          : "stable";
  const alerts: Alert[] = [];
  for (let i = 1; i < points.length; i++) {
    const prev = points[i - 1]!;
    const cur = points[i]!;
    const rise = cur.index - prev.index;
    const severe = scale.regions.severe;
    if (prev.index >= severe) continue;
    if (cur.index >= severe) {
      alerts.push({ scanId: cur.scanId, kind: "entered_severe", rise });
    } else if (rise > riseThreshold(prev, cur, policy, scale)) {
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
    latest: last ? { ...last, region: regionOn(scale, last.index) } : null,
    excludedOtherModel,
  };
}
