// Real chest X-rays for tests and the benchmark, read in place from the shared corpus (never copied into the repo).
import { readdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { config } from "../config";
import type { GreyImage } from "./types";

export function corpusDir(): string {
  const cfg = config();
  return cfg.corpusDir ?? path.join(cfg.sharedDir, "data", "cxr");
}

/** `n` JPEGs spread evenly over the sorted corpus, so every source (and image size) is represented. */
export async function corpusFiles(n: number): Promise<string[]> {
  const dir = corpusDir();
  const all = (await readdir(dir)).filter((f) => f.endsWith(".jpg")).sort();
  if (all.length === 0) throw new Error(`no .jpg files in ${dir}`);
  const count = Math.min(n, all.length);
  const stride = all.length / count;
  return Array.from({ length: count }, (_, i) => path.join(dir, all[Math.floor(i * stride)]!));
}

/** Decodes as lib/image will hand scans over: 8-bit grey, row-major. */
export async function decodeGrey(file: string): Promise<GreyImage> {
  const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`${file}: decoded to ${info.channels} channels, expected 1`);
  return { width: info.width, height: info.height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
