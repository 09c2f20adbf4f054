// The graph's extra outputs (model.json `heads`) travel with the embedding as one packed Float32Array per film, so
// the worker-thread protocol and the batcher stay vector-shaped: [embedding (dims) | extent (1) | view classes | distance].
// This module is the only place that knows the layout.
import { EmbeddingConfigError } from "./errors";
import type { ModelDescriptor, ViewClass } from "./model-contract";

export interface ExtentEstimate {
  /** Estimated geographic extent on the readers' 0-8 scale. */
  value: number;
  /** Interval at the model's stated coverage, clipped to the scale. */
  lo: number;
  hi: number;
}

export interface ViewEstimate {
  probabilities: Partial<Record<ViewClass, number>>;
  /** Distance to the frontal training films (1 is typical of a frontal film; the model sets the limit). */
  distance: number;
}

export interface FilmAnalysis {
  /** Unit-length embedding. */
  vector: Float32Array;
  extent?: ExtentEstimate;
  view?: ViewEstimate;
}

/** Head outputs to fetch, in packing order, each with its expected width. */
export function headOutputs(d: ModelDescriptor): { name: string; width: number }[] {
  const out: { name: string; width: number }[] = [];
  if (d.heads?.extent) out.push({ name: d.heads.extent.output, width: 1 });
  if (d.heads?.view) {
    out.push({ name: d.heads.view.output, width: d.heads.view.classes.length });
    out.push({ name: d.heads.view.distanceOutput, width: 1 });
  }
  return out;
}

export function packedWidth(d: ModelDescriptor): number {
  return d.dims + headOutputs(d).reduce((s, h) => s + h.width, 0);
}

function finite(x: number | undefined, what: string, d: ModelDescriptor): number {
  if (x === undefined || !Number.isFinite(x)) throw new EmbeddingConfigError(`${d.id}: ${what} is not a finite number`);
  return x;
}

export function unpack(d: ModelDescriptor, packed: Float32Array): FilmAnalysis {
  if (packed.length !== packedWidth(d)) {
    throw new EmbeddingConfigError(`${d.id}: ${packed.length} packed values, expected ${packedWidth(d)}`);
  }
  const analysis: FilmAnalysis = { vector: packed.slice(0, d.dims) };
  let at = d.dims;
  const extent = d.heads?.extent;
  if (extent) {
    const [min, max] = extent.scale;
    const value = Math.min(max, Math.max(min, finite(packed[at++], "extent", d)));
    const half = extent.interval.halfWidth;
    analysis.extent = { value, lo: Math.max(min, value - half), hi: Math.min(max, value + half) };
  }
  const view = d.heads?.view;
  if (view) {
    const probabilities: ViewEstimate["probabilities"] = {};
    for (const c of view.classes) probabilities[c] = finite(packed[at++], `view probability ${c}`, d);
    analysis.view = { probabilities, distance: finite(packed[at++], "view distance", d) };
  }
  return analysis;
}
