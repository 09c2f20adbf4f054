// Image fingerprints for the leakage guard: the same picture (re-encoded, resized, re-windowed, cropped by a few
// pixels) in the query and the reference set. Pure TypeScript on the decoded grey pixels, so it sees exactly what the
// embedder sees.
//
// Why not a plain 64-bit dHash with Hamming <= 4: chest X-rays all look alike. Measured on the corpus (train vs test
// split, different persons by construction), the nearest 64-bit dHash of another person's image is <= 2 bits away for
// 5% of queries and 0 for some; the threshold would refuse honest splits. Two stronger signals after a per-image
// histogram equalisation (which removes windowing and contrast differences):
//   - a 256-bit dHash (17 x 16 grid): other persons >= 20 bits; resized / re-encoded copies <= 13 bits;
//   - the normalised cross-correlation of 32 x 32 thumbnails: other persons <= 0.971; copies >= 0.994, 1% crops
//     >= 0.96 (p5 0.98).
// A pair counts as the same image when the dHash distance is <= 16 or the correlation is >= 0.985.
import type { GreyImage } from "@/lib/embedding";

export const HASH_SIDE = 16;
export const THUMB_SIDE = 32;
export const DEFAULT_MAX_HAMMING = 16;
export const DEFAULT_MIN_CORRELATION = 0.985;

export interface Fingerprint {
  /** 256-bit dHash of the equalised image, 8 x 32 bits. */
  hash: Uint32Array;
  /** Zero-mean, unit-norm 32 x 32 thumbnail of the equalised image. */
  thumb: Float32Array;
}

/** Box-average down to `w` x `h` cells (integer cell bounds; every cell gets at least one pixel). */
export function boxDownsample(image: GreyImage, w: number, h: number): Float64Array {
  const { width, height, pixels } = image;
  const out = new Float64Array(w * h);
  for (let cy = 0; cy < h; cy++) {
    const y0 = Math.min(height - 1, Math.floor((cy * height) / h));
    const y1 = Math.max(y0 + 1, Math.floor(((cy + 1) * height) / h));
    for (let cx = 0; cx < w; cx++) {
      const x0 = Math.min(width - 1, Math.floor((cx * width) / w));
      const x1 = Math.max(x0 + 1, Math.floor(((cx + 1) * width) / w));
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        const row = y * width;
        for (let x = x0; x < x1; x++) sum += pixels[row + x]!;
      }
      out[cy * w + cx] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/** Global histogram equalisation (rank of each grey value, 0..255). */
export function equalise(image: GreyImage): GreyImage {
  const hist = new Float64Array(256);
  for (const v of image.pixels) hist[v]!++;
  const lut = new Uint8Array(256);
  let cumulative = 0;
  for (let v = 0; v < 256; v++) {
    cumulative += hist[v]!;
    lut[v] = Math.round((255 * cumulative) / image.pixels.length);
  }
  return { width: image.width, height: image.height, pixels: image.pixels.map((v) => lut[v]!) };
}

/** Difference hash: bit (row * side + col) set when cell (col) is brighter than cell (col + 1). */
export function dHashBits(image: GreyImage, side: number): Uint32Array {
  const cells = boxDownsample(image, side + 1, side);
  const bits = new Uint32Array(Math.ceil((side * side) / 32));
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      if (cells[row * (side + 1) + col]! > cells[row * (side + 1) + col + 1]!) {
        const bit = row * side + col;
        bits[bit >>> 5]! |= 1 << (bit & 31);
      }
    }
  }
  return bits;
}

export function fingerprint(image: GreyImage): Fingerprint {
  const eq = equalise(image);
  const cells = boxDownsample(eq, THUMB_SIDE, THUMB_SIDE);
  let m = 0;
  for (const v of cells) m += v;
  m /= cells.length;
  let norm = 0;
  for (const v of cells) norm += (v - m) ** 2;
  norm = Math.sqrt(norm) || 1;
  const thumb = new Float32Array(cells.length);
  for (let i = 0; i < cells.length; i++) thumb[i] = (cells[i]! - m) / norm;
  return { hash: dHashBits(eq, HASH_SIDE), thumb };
}

function popcount32(v: number): number {
  let x = v >>> 0;
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function hamming(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new RangeError("hash length mismatch");
  let d = 0;
  for (let i = 0; i < a.length; i++) d += popcount32(a[i]! ^ b[i]!);
  return d;
}

export function correlation(a: Fingerprint, b: Fingerprint): number {
  let s = 0;
  for (let i = 0; i < a.thumb.length; i++) s += a.thumb[i]! * b.thumb[i]!;
  return s;
}
