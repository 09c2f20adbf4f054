// Vector checks and normalisation. pgvector compares with cosine distance; stored vectors are unit length so
// distances from different code paths agree, and a vector that cannot be normalised is refused, not stored.
import { EmbeddingEngineError } from "./errors";

export function l2Norm(v: Float32Array): number {
  let sum = 0; // double accumulation: 1280 float32 squares lose digits otherwise
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/** Returns a new unit-length copy; throws on non-finite values or a zero vector. */
export function l2Normalize(v: Float32Array): Float32Array {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) throw new EmbeddingEngineError(`model output has a non-finite value at index ${i}`);
  }
  const norm = l2Norm(v);
  if (!(norm > 1e-12)) throw new EmbeddingEngineError("model output is a zero vector: it cannot be normalised");
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** For models whose graph normalises: check instead of trusting. */
export function assertUnitVector(v: Float32Array, tolerance = 1e-3): Float32Array {
  const norm = l2Norm(v);
  if (!Number.isFinite(norm) || Math.abs(norm - 1) > tolerance) {
    throw new EmbeddingEngineError(`model.json says the output is normalised, but a vector has norm ${norm}`);
  }
  return v;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (l2Norm(a) * l2Norm(b));
}
