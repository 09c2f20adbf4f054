// From stored samples to display grey levels, in the order PS3.3 C.11 prescribes: stored value -> Modality LUT
// (rescale slope/intercept) -> VOI (window centre/width, or a robust window when the file has none) -> inversion for
// MONOCHROME1. All of it is folded into one lookup table over the stored values.
import type { DataSet } from "dicom-parser";
import {
  buildLut,
  histogram,
  linearRamp,
  percentilesFromHistogram,
  ROBUST_HIGH,
  ROBUST_LOW,
  valueRange,
  applyLut,
  type DisplayFunction,
  type IntegerSamples,
} from "../window";
import { readNumber, readString } from "./parse";
import type { GreyPhotometric, PixelModule } from "./pixel-module";

/** Samples as integers: sign-extended per PixelRepresentation, with bits outside BitsStored/HighBit removed. */
export function storedSamples(bytes: Uint8Array, pm: PixelModule): IntegerSamples {
  const n = pm.rows * pm.columns;
  const shift = pm.highBit + 1 - pm.bitsStored;
  const mask = pm.bitsStored >= 32 ? 0xffffffff : 2 ** pm.bitsStored - 1;
  const signBit = 2 ** (pm.bitsStored - 1);
  const out = pm.signed ? new Int16Array(n) : new Uint16Array(n);
  const wide = pm.bitsAllocated === 16;
  for (let i = 0; i < n; i++) {
    const word = wide ? bytes[2 * i]! | (bytes[2 * i + 1]! << 8) : bytes[i]!;
    const v = (word >>> shift) & mask;
    out[i] = pm.signed && v & signBit ? v - 2 * signBit : v;
  }
  return out;
}

export type VoiFunction = "LINEAR" | "LINEAR_EXACT" | "SIGMOID";

export interface VoiWindow {
  center: number;
  width: number;
  fn: VoiFunction;
}

export interface DisplayParameters {
  slope: number;
  intercept: number;
  /** From the file; absent means "choose a robust window from the pixels". */
  window?: VoiWindow;
  paddingValue?: number;
}

export function readDisplayParameters(ds: DataSet, pm: PixelModule): DisplayParameters {
  const slope = readNumber(ds, "x00281053");
  const intercept = readNumber(ds, "x00281052");
  const params: DisplayParameters = {
    slope: slope !== undefined && slope !== 0 ? slope : 1,
    intercept: intercept ?? 0,
  };
  const center = readNumber(ds, "x00281050");
  const width = readNumber(ds, "x00281051");
  const fnText = (readString(ds, "x00281056") ?? "LINEAR").toUpperCase();
  const fn: VoiFunction = fnText === "LINEAR_EXACT" || fnText === "SIGMOID" ? fnText : "LINEAR";
  // PS3.3 requires width >= 1 for LINEAR and > 0 otherwise; a window breaking that is ignored, not trusted.
  if (center !== undefined && width !== undefined && (fn === "LINEAR" ? width >= 1 : width > 0)) {
    params.window = { center, width, fn };
  }
  const padding = ds.elements.x00280120;
  if (padding && padding.length >= 2) {
    params.paddingValue = pm.signed ? ds.int16("x00280120") : ds.uint16("x00280120");
  }
  return params;
}

/** VOI functions of PS3.3 C.11.2.1.2, output 0..255. */
export function voiFunction({ center: c, width: w, fn }: VoiWindow): DisplayFunction {
  switch (fn) {
    case "LINEAR":
      return (x) => {
        if (x <= c - 0.5 - (w - 1) / 2) return 0;
        if (x > c - 0.5 + (w - 1) / 2) return 255;
        return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
      };
    case "LINEAR_EXACT":
      return (x) => {
        if (x <= c - w / 2) return 0;
        if (x > c + w / 2) return 255;
        return ((x - c) / w + 0.5) * 255;
      };
    case "SIGMOID":
      return (x) => 255 / (1 + Math.exp((-4 * (x - c)) / w));
  }
}

export function toDisplayPixels(
  samples: IntegerSamples,
  pm: PixelModule & { photometric: GreyPhotometric },
  params: DisplayParameters,
): Uint8Array {
  const range = valueRange(samples);
  const modality = (s: number) => s * params.slope + params.intercept;

  let voi: DisplayFunction;
  if (params.window) {
    voi = voiFunction(params.window);
  } else if (pm.bitsStored <= 8 && !pm.signed && params.slope === 1 && params.intercept === 0) {
    // 8-bit data with no window is already display-ready: stretching it would change what the sender saw.
    voi = (x) => x;
  } else {
    const hist = histogram(samples, range);
    const [pLo, pHi] = percentilesFromHistogram(hist, range.min, [ROBUST_LOW, ROBUST_HIGH], params.paddingValue);
    // Percentiles are taken on stored values; a negative slope flips which end is dark.
    const a = modality(pLo!);
    const b = modality(pHi!);
    voi = linearRamp(Math.min(a, b), Math.max(a, b));
  }
  const invert = pm.photometric === "MONOCHROME1";
  return applyLut(
    samples,
    range.min,
    buildLut(range, (s) => {
      const y = voi(modality(s));
      return invert ? 255 - y : y;
    }),
  );
}
