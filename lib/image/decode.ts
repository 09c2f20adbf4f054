// The one entry point for turning uploaded bytes into pixels. Every path ends in the same checks (size, signal),
// and the result holds only freshly decoded pixels: nothing of the uploaded bytes (EXIF, DICOM preamble) survives.
import { detectFileType } from "./detect";
import { decodeDicom } from "./dicom/decode-dicom";
import { ScanValidationError } from "./errors";
import { assertByteBudget, resolveLimits } from "./limits";
import { decodeRaster } from "./raster";
import { assertHasSignal, assertUsableSize } from "./signal";
import { untimed, type DecodedScan, type DecodeLimits, type StepClock } from "./types";

const LABEL = { jpeg: "JPEG image", png: "PNG image", dicom: "DICOM image" } as const;

export interface DecodeOptions {
  /**
   * The longest side any use of the pixels needs (the largest rendition). A JPEG at least twice that size is decoded
   * at a reduced size, never below it (libjpeg scales by 1/2, 1/4 or 1/8 while decoding, the rest is resampled), and
   * the result says the image's own size in `fullSize`. Other formats are decoded whole.
   */
  maxSide?: number;
  /** Times "validate" and "decode pixels" (benchmarks). */
  time?: StepClock;
}

export async function decodeScan(
  input: Buffer,
  limits?: Partial<DecodeLimits>,
  options: DecodeOptions = {},
): Promise<DecodedScan> {
  const time = options.time ?? untimed;
  const resolved = resolveLimits(limits);
  assertByteBudget(input.length, resolved.maxBytes);

  const detected = await time("validate", async () => detectFileType(input));
  let scan: DecodedScan;
  switch (detected.kind) {
    case "unsupported":
      throw new ScanValidationError(
        "unsupported_type",
        `This file is ${detected.description}, not an X-ray image. Please upload a DICOM, JPEG or PNG file.`,
      );
    case "dicom": {
      const result = await time("decode pixels", () => decodeDicom(input, detected.preamble === "present", resolved));
      scan = { format: "dicom", ...result };
      break;
    }
    case "jpeg":
    case "png": {
      const result = await decodeRaster(input, detected.kind, resolved, { time, maxSide: options.maxSide });
      scan = { format: detected.kind, ...result };
      break;
    }
  }
  await time("validate", async () => {
    assertUsableSize(scan.fullSize?.width ?? scan.width, scan.fullSize?.height ?? scan.height, LABEL[scan.format]);
    assertHasSignal(scan.pixels, scan.width, scan.height, LABEL[scan.format]);
  });
  return scan;
}
