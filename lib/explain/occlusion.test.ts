import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { GreyImage } from "@/lib/embedding/types";
import {
  cellBounds,
  heatmapPng,
  hottestAndColdest,
  occlude,
  occlusionMap,
  workingCopy,
  type ScoreImages,
} from "./occlusion";

function image(width: number, height: number, value = 100): GreyImage {
  return { width, height, pixels: new Uint8Array(width * height).fill(value) };
}

describe("occlusion sensitivity", () => {
  it("covers exactly one cell, and the cells tile the image", () => {
    const img = image(10, 7);
    const covered = occlude(img, 2, 3, 0);
    const { x0, x1, y0, y1 } = cellBounds(img, 2, 3);
    expect([x0, x1, y0, y1]).toEqual([5, 10, 4, 7]);
    let zeros = 0;
    for (let y = 0; y < 7; y++) for (let x = 0; x < 10; x++) if (covered.pixels[y * 10 + x] === 0) zeros++;
    expect(zeros).toBe(5 * 3);
    expect(img.pixels.every((v) => v === 100)).toBe(true);
  });

  it("works on a grey copy no larger than 448 px a side, of the film's aspect", async () => {
    const copy = await workingCopy(image(1200, 900));
    expect([copy.width, copy.height]).toEqual([448, 336]);
    expect(copy.pixels).toHaveLength(448 * 336);
  });

  it("finds the region a score depends on: a score that counts bright pixels in the top-left corner", async () => {
    // A real (non-learned) score with a known answer: the mean of the top-left 100 x 100 block of the working copy.
    const img = image(400, 400, 40);
    for (let y = 0; y < 100; y++) img.pixels.fill(250, y * 400, y * 400 + 100);
    const score: ScoreImages = async (images) =>
      images.map((im) => {
        let sum = 0;
        for (let y = 0; y < 100; y++) for (let x = 0; x < 100; x++) sum += im.pixels[y * im.width + x]!;
        return sum / 10_000;
      });
    const map = await occlusionMap(img, score, 4);
    expect(map.deltas).toHaveLength(16);
    const { hottest, coldest } = hottestAndColdest(map);
    expect(hottest).toBe(0);
    expect(map.deltas[coldest]).toBe(0);
    const png = await sharp(await heatmapPng(map, 200, 100)).metadata();
    expect(png).toMatchObject({ format: "png", width: 200, height: 100, channels: 4 });
  });
});
