// Where one scan sits, from its nearest reference scans. The severity index is the similarity-weighted mean of the
// neighbours' class values (healthy 0, infected 0.5, severe 1): the article's "fewer healthy neighbours, more
// severe ones" as one number in [0, 1], comparable between scans of one model.
import { CLASS_VALUE, classMix, type ReferenceClass } from "@/lib/domain";

export type Region = ReferenceClass;

/** Index boundaries of the chart's background bands and of a scan's region. */
export const REGION_BOUNDS = { infected: 1 / 3, severe: 2 / 3 } as const;

export interface NeighbourLike {
  class: ReferenceClass;
  /** 1 - cosine distance. */
  similarity: number;
}

export interface ScanSeverity {
  index: number;
  region: Region;
  mix: Record<ReferenceClass, number>;
  k: number;
}

export function severityIndex(neighbours: readonly NeighbourLike[]): number {
  if (neighbours.length === 0) throw new Error("a severity index needs at least one neighbour");
  let weighted = 0;
  let total = 0;
  for (const n of neighbours) {
    // Negative similarity (opposite direction) carries no evidence; a floor keeps ties among zeros defined.
    const w = Math.max(n.similarity, 1e-6);
    weighted += w * CLASS_VALUE[n.class];
    total += w;
  }
  return clamp01(weighted / total);
}

export function regionOf(index: number): Region {
  if (index >= REGION_BOUNDS.severe) return "severe";
  if (index >= REGION_BOUNDS.infected) return "infected";
  return "healthy";
}

export function assessScan(neighbours: readonly NeighbourLike[]): ScanSeverity {
  const mix = classMix(neighbours.map((n) => n.class));
  const index = severityIndex(neighbours);
  return { index, region: regionOf(index), mix, k: neighbours.length };
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
