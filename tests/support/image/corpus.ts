// Test access to the read-only chest X-ray corpus, and an independent reference decode (sharp directly, none of
// lib/image's code) to compare our output against.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { config } from "@/lib/config";

export function corpusDir(): string {
  const dir = config().corpusDir ?? path.resolve(process.cwd(), "../shared/data/cxr");
  if (!existsSync(dir)) {
    throw new Error(
      `The chest X-ray corpus was not found at ${dir}. Set RADTRACK_CORPUS_DIR or lay out ../shared/data/cxr; ` +
        "the image tests need real X-rays and do not skip.",
    );
  }
  return dir;
}

export function corpusPath(id: string): string {
  return path.join(corpusDir(), `${id}.jpg`);
}

export function readCorpus(id: string): Promise<Buffer> {
  return readFile(corpusPath(id));
}

export interface GreyImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export async function referenceGrey(input: Buffer | string): Promise<GreyImage> {
  const { data, info } = await sharp(input).toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: new Uint8Array(data) };
}

export interface DiffStats {
  maxAbs: number;
  meanAbs: number;
}

export function diffStats(a: Uint8Array, b: Uint8Array): DiffStats {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length} vs ${b.length} pixels`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { maxAbs: max, meanAbs: sum / a.length };
}

export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Independent nearest-rank percentile window (sort-based), to check the module's histogram-based one. */
export function percentileStretch(values: ArrayLike<number>, low = 0.005, high = 0.995): Uint8Array {
  const sorted = Float64Array.from(values).sort();
  const lo = sorted[Math.round(low * (sorted.length - 1))]!;
  const hi = sorted[Math.round(high * (sorted.length - 1))]!;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.min(255, Math.max(0, Math.round(((values[i]! - lo) / (hi - lo)) * 255)));
  }
  return out;
}
