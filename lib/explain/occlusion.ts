// Occlusion sensitivity: which regions of a film move its score. The film is covered one grid cell at a time by a
// flat patch of its own mean grey, every covered copy is scored like the film itself, and each cell gets how far its
// copy's score moved from the film's. It says where the score is sensitive, not what is there: a cell can move the
// score because of a tube, a marker or the border as easily as because of the lungs.
import sharp from "sharp";
import type { GreyImage } from "@/lib/embedding/types";

/** Scores images the way the film's own score is computed (the explained score: see score.ts). */
export type ScoreImages = (images: readonly GreyImage[]) => Promise<number[]>;

export interface OcclusionMap {
  cols: number;
  rows: number;
  /** The unoccluded film's score. */
  base: number;
  /** Row-major, one per cell: the covered copy's score minus the film's. */
  deltas: number[];
}

/** Side of the working copy: the models read 224 px, so covering cells of a 448 px copy loses nothing. */
export const WORKING_SIDE = 448;

export async function workingCopy(image: GreyImage, side = WORKING_SIDE): Promise<GreyImage> {
  const { data, info } = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 1 } })
    .resize(side, side, { fit: "inside", withoutEnlargement: true })
    // sharp hands back three channels after a resize unless told the output is grey.
    .toColourspace("b-w")
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export function cellBounds(image: GreyImage, grid: number, index: number) {
  const col = index % grid;
  const row = Math.floor(index / grid);
  const x0 = Math.round((col * image.width) / grid);
  const x1 = Math.round(((col + 1) * image.width) / grid);
  const y0 = Math.round((row * image.height) / grid);
  const y1 = Math.round(((row + 1) * image.height) / grid);
  return { x0, x1, y0, y1 };
}

export function meanGrey(image: GreyImage): number {
  let sum = 0;
  for (const v of image.pixels) sum += v;
  return Math.round(sum / image.pixels.length);
}

/** A copy of the image with one grid cell covered by `fill`. */
export function occlude(image: GreyImage, grid: number, index: number, fill: number): GreyImage {
  const pixels = Uint8Array.from(image.pixels);
  const { x0, x1, y0, y1 } = cellBounds(image, grid, index);
  for (let y = y0; y < y1; y++) pixels.fill(fill, y * image.width + x0, y * image.width + x1);
  return { width: image.width, height: image.height, pixels };
}

export async function occlusionMap(image: GreyImage, score: ScoreImages, grid = 8): Promise<OcclusionMap> {
  if (!Number.isInteger(grid) || grid < 2 || grid > 32)
    throw new Error(`grid must be 2 to 32 cells a side, got ${grid}`);
  const copy = await workingCopy(image);
  const fill = meanGrey(copy);
  const covered = Array.from({ length: grid * grid }, (_, i) => occlude(copy, grid, i, fill));
  const [base, ...scores] = await score([copy, ...covered]);
  if (base === undefined || scores.length !== covered.length) throw new Error("the scorer returned too few scores");
  return { cols: grid, rows: grid, base, deltas: scores.map((s) => s - base) };
}

/** The cells that move the score most and least (by absolute change). */
export function hottestAndColdest(map: OcclusionMap): { hottest: number; coldest: number } {
  let hottest = 0;
  let coldest = 0;
  map.deltas.forEach((d, i) => {
    if (Math.abs(d) > Math.abs(map.deltas[hottest]!)) hottest = i;
    if (Math.abs(d) < Math.abs(map.deltas[coldest]!)) coldest = i;
  });
  return { hottest, coldest };
}

/**
 * The overlay: a PNG of the film's aspect, each cell coloured by how much covering it moved the score (transparent
 * for none, through orange to red for the largest change of this film), smoothed so cell edges do not read as
 * anatomy. Drawn over the film by the viewer with an opacity slider.
 */
export async function heatmapPng(map: OcclusionMap, width: number, height: number): Promise<Buffer> {
  const peak = Math.max(...map.deltas.map(Math.abs), 1e-9);
  const cells = Buffer.alloc(map.cols * map.rows * 4);
  map.deltas.forEach((d, i) => {
    const t = Math.abs(d) / peak;
    cells[i * 4] = 255;
    cells[i * 4 + 1] = Math.round(220 * (1 - t));
    cells[i * 4 + 2] = 0;
    cells[i * 4 + 3] = Math.round(200 * t);
  });
  return sharp(cells, { raw: { width: map.cols, height: map.rows, channels: 4 } })
    .resize(width, height, { fit: "fill", kernel: "cubic" })
    .png()
    .toBuffer();
}
