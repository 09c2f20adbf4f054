// Unit checks of the numeric building blocks, against the formulas in DICOM PS3.3 and simple independent versions.
import { describe, expect, it } from "vitest";
import { storedSamples, voiFunction } from "./dicom/display";
import type { PixelModule } from "./dicom/pixel-module";
import { blockAverages, measureSignal } from "./signal";
import { histogram, percentilesFromHistogram, valueRange } from "./window";

function module16(overrides: Partial<PixelModule>): PixelModule {
  return {
    rows: 1,
    columns: 4,
    samplesPerPixel: 1,
    bitsAllocated: 16,
    bitsStored: 12,
    highBit: 11,
    signed: false,
    planarConfiguration: 0,
    photometric: "MONOCHROME2",
    numberOfFrames: 1,
    ...overrides,
  };
}

function words(...values: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(values).buffer);
}

describe("storedSamples", () => {
  it("drops bits above BitsStored (e.g. overlay bits) and sign-extends signed data", () => {
    expect(Array.from(storedSamples(words(0xf000 | 4095, 7, 0, 0x0800), module16({})))).toEqual([4095, 7, 0, 2048]);
    expect(Array.from(storedSamples(words(0xf800, 0x07ff, 0xffff, 5), module16({ signed: true })))).toEqual([
      -2048, 2047, -1, 5,
    ]);
  });

  it("honours a HighBit above BitsStored - 1 (samples stored in the upper bits)", () => {
    expect(Array.from(storedSamples(words(0xfff0, 0x0010, 0, 0x8000), module16({ highBit: 15 })))).toEqual([
      4095, 1, 0, 2048,
    ]);
  });
});

describe("VOI functions (PS3.3 C.11.2.1.2)", () => {
  it("LINEAR: width 1 is a threshold at centre - 0.5", () => {
    const f = voiFunction({ center: 100, width: 1, fn: "LINEAR" });
    expect([f(99), f(99.5), f(99.6), f(101)]).toEqual([0, 0, 255, 255]);
  });

  it("LINEAR: the centre sits mid-grey and the ends at the window edges", () => {
    const f = voiFunction({ center: 2048, width: 4096, fn: "LINEAR" });
    expect(f(-1)).toBe(0);
    expect(f(2047.5)).toBeCloseTo(127.5, 6);
    expect(f(4095)).toBeCloseTo(255, 1);
    expect(f(5000)).toBe(255);
  });

  it("LINEAR_EXACT and SIGMOID", () => {
    const exact = voiFunction({ center: 0, width: 200, fn: "LINEAR_EXACT" });
    expect([exact(-100), exact(0), exact(100), exact(101)]).toEqual([0, 127.5, 255, 255]);
    const sigmoid = voiFunction({ center: 0, width: 200, fn: "SIGMOID" });
    expect(sigmoid(0)).toBe(127.5);
    expect(sigmoid(200)).toBeGreaterThan(250);
  });
});

describe("percentilesFromHistogram", () => {
  it("matches a sort-based nearest-rank percentile, and ignores the padding value", () => {
    const values = Int16Array.from({ length: 10_001 }, (_, i) => ((i * 7919) % 3001) - 1000);
    const range = valueRange(values);
    const sorted = Array.from(values).sort((a, b) => a - b);
    const [lo, hi] = percentilesFromHistogram(histogram(values, range), range.min, [0.005, 0.995]);
    expect([lo, hi]).toEqual([sorted[50], sorted[9950]]);

    const padded = Int16Array.from([...values, ...new Array<number>(20_000).fill(-2000)]);
    const r2 = valueRange(padded);
    expect(percentilesFromHistogram(histogram(padded, r2), r2.min, [0.005, 0.995], -2000)).toEqual([lo, hi]);
  });
});

describe("measureSignal", () => {
  it("separates a smooth picture from noise by neighbour correlation of block averages", () => {
    const w = 300;
    const h = 200;
    const smooth = Uint8Array.from(
      { length: w * h },
      (_, i) => 128 + 100 * Math.sin((i % w) / 40) * Math.cos(i / w / 30),
    );
    let s = 1;
    const noise = Uint8Array.from({ length: w * h }, () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s >>> 24;
    });
    expect(measureSignal(smooth, w, h).neighbourCorrelation).toBeGreaterThan(0.9);
    expect(Math.abs(measureSignal(noise, w, h).neighbourCorrelation)).toBeLessThan(0.1);
    expect(measureSignal(new Uint8Array(w * h).fill(9), w, h).std).toBe(0);
  });
});

describe("blockAverages", () => {
  it("is the mean of each whole block, edges that do not fill a block left out", () => {
    for (const [w, h] of [
      [37, 33],
      [640, 512],
      [1001, 777],
    ] as const) {
      const pixels = new Uint8Array(w * h);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
      const { values, gw, gh } = blockAverages(pixels, w, h);
      const block = Math.max(1, Math.floor(Math.max(w, h) / 64));
      expect([gw, gh]).toEqual([Math.floor(w / block), Math.floor(h / block)]);
      for (const [bx, by] of [
        [0, 0],
        [gw - 1, 0],
        [0, gh - 1],
        [gw - 1, gh - 1],
        [gw >> 1, gh >> 1],
      ] as const) {
        let sum = 0;
        for (let y = by * block; y < (by + 1) * block; y++)
          for (let x = bx * block; x < (bx + 1) * block; x++) sum += pixels[y * w + x]!;
        expect(values[by * gw + bx]).toBe(sum / (block * block));
      }
    }
  });
});
