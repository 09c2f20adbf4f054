import { describe, expect, it } from "vitest";
import { InvalidImageError } from "./errors";
import type { PreprocessSpec } from "./preprocess";
import { createPreprocessor } from "./preprocess";
import type { GreyImage } from "./types";

const spec: PreprocessSpec = {
  input: { name: "input", shape: ["N", 3, 224, 224], layout: "NCHW" },
  grey: "replicate",
  resize: { mode: "fill", size: 224, kernel: "lanczos3" },
  normalize: { mean: [128, 128, 128], std: [128, 128, 128] },
};
const plane = 224 * 224;

function image(width: number, height: number, value: (x: number, y: number) => number): GreyImage {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = value(x, y);
  return { width, height, pixels };
}

describe("preprocess", () => {
  it("replicates grey into three NCHW planes normalised as (x - 128) / 128", async () => {
    const p = createPreprocessor(spec);
    const t = await p.one(image(300, 200, (x) => (x < 150 ? 0 : 255)));
    expect(t).toHaveLength(3 * plane);
    expect(t[0]).toBeCloseTo(-1, 5); // top-left is black
    expect(t[plane - 1]).toBeCloseTo(127 / 128, 5); // bottom-right is white
    expect(t.subarray(plane, 2 * plane)).toEqual(t.subarray(0, plane));
    expect(t.subarray(2 * plane)).toEqual(t.subarray(0, plane));
  });

  it("uses each channel's own mean and std", async () => {
    const p = createPreprocessor({ ...spec, normalize: { mean: [0, 100, 200], std: [1, 2, 4] } });
    const t = await p.one(image(224, 224, () => 200));
    expect([t[0], t[plane], t[2 * plane]]).toEqual([200, 50, 0]);
  });

  it("fill keeps the whole image; shorter-side-crop cuts the long side", async () => {
    // Wide image: black left quarter, white elsewhere. Fill keeps the black; a centre crop of the square loses it.
    const wide = image(800, 400, (x) => (x < 200 ? 0 : 255));
    const filled = await createPreprocessor(spec).one(wide);
    const cropped = await createPreprocessor({
      ...spec,
      resize: { mode: "shorter-side-crop", size: 224, shorterSide: 256, kernel: "lanczos3" },
    }).one(wide);
    expect(filled[112 * 224 + 5]).toBeCloseTo(-1, 2);
    expect(cropped[112 * 224 + 5]).toBeCloseTo(127 / 128, 2);
  });

  it("writes a batch at the right offsets", async () => {
    const p = createPreprocessor(spec);
    const imgs = [0, 128, 255].map((v) => image(50, 60, () => v));
    const t = await p.batch(imgs);
    expect([t[0], t[p.valuesPerImage], t[2 * p.valuesPerImage]].map((v) => Math.round(v! * 128))).toEqual([
      -128, 0, 127,
    ]);
  });

  it("refuses pixels that do not match width x height", async () => {
    const p = createPreprocessor(spec);
    await expect(p.one({ width: 10, height: 10, pixels: new Uint8Array(300) })).rejects.toThrow(InvalidImageError);
    await expect(p.one({ width: 10, height: 10, pixels: new Uint8Array(300) })).rejects.toThrow(/looks like RGB/);
  });

  it("preprocesses a 2000 x 2000 image in tens of milliseconds", async () => {
    const p = createPreprocessor(spec);
    const big = image(2000, 2000, (x, y) => (x * 7 + y * 13) & 255);
    await p.one(big); // warm-up: first sharp call loads libvips code paths
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      await p.one(big);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    // Median, with room for a shared 2-core machine; typical is 5-15 ms.
    expect(times[1]).toBeLessThan(100);
  });
});
