// The scale a patient's course is drawn and judged on. A model with an extent head (radtrack_cxr_v3 and later)
// estimates the readers' geographic extent, 0-8, with an interval; an embedding-only model gives the neighbours'
// severity index, 0-1, uncalibrated. Regions follow the corpus's severity rule (shared/data/cxr/README.md): severe
// at a geographic extent of 5 or more; below 1 (less than a quarter of one lung) reads as healthy.
import { REGION_BOUNDS, type Region } from "./severity";

export interface SeverityScale {
  id: "extent" | "index";
  max: number;
  /** Lower bounds of the infected and severe regions. */
  regions: { infected: number; severe: number };
  label: string;
  /** Short unit for numbers shown on their own ("points", "index"). */
  unit: string;
  /** Calibrated against expert scores (false: a relative index, not to be read as a grade). */
  calibrated: boolean;
}

export const EXTENT_SCALE: SeverityScale = {
  id: "extent",
  max: 8,
  regions: { infected: 1, severe: 5 },
  label: "Estimated geographic extent (0-8)",
  unit: "points",
  calibrated: true,
};

export const INDEX_SCALE: SeverityScale = {
  id: "index",
  max: 1,
  regions: { infected: REGION_BOUNDS.infected, severe: REGION_BOUNDS.severe },
  label: "Severity index (0-1, neighbours' classes, uncalibrated)",
  unit: "index",
  calibrated: false,
};

/** The scale of a model: the extent scale when it has an extent head. */
export function scaleOf(model: { heads?: { extent?: unknown } | null }): SeverityScale {
  return model.heads?.extent ? EXTENT_SCALE : INDEX_SCALE;
}

export function regionOn(scale: SeverityScale, value: number): Region {
  if (value >= scale.regions.severe) return "severe";
  if (value >= scale.regions.infected) return "infected";
  return "healthy";
}
