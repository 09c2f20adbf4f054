// JPEG and PNG through sharp (libvips). The header is read first with no pixel limit (it only parses the header)
// so an oversized image is refused with its real dimensions before any pixel is decoded; decoding then runs with
// sharp's own pixel limit set to ours as a second guard.
import sharp, { type Metadata, type SharpOptions } from "sharp";
import { assertNotColourPicture, colouredShareOfImage } from "./colour";
import { ScanValidationError } from "./errors";
import { assertPixelBudget } from "./limits";
import { untimed, type DecodeLimits, type StepClock } from "./types";
import { robustWindowToEightBit } from "./window";

export interface RasterResult {
  width: number;
  height: number;
  pixels: Uint8Array;
  sourceBitDepth: number;
  /** Set when the pixels were decoded smaller than the image (see `maxSide`). */
  fullSize?: { width: number; height: number };
}

export interface RasterOptions {
  time?: StepClock;
  /** A JPEG at least twice this size on its longest side is decoded at the size needed (shrink-on-load). */
  maxSide?: number;
}

const LABEL = { jpeg: "JPEG", png: "PNG" } as const;

async function readHeader(input: Buffer, format: "jpeg" | "png"): Promise<Metadata> {
  try {
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch {
    throw new ScanValidationError(
      "corrupt",
      `This file starts like a ${LABEL[format]} image, but its header cannot be read: the file is damaged.`,
    );
  }
}

export async function decodeRaster(
  input: Buffer,
  format: "jpeg" | "png",
  limits: DecodeLimits,
  { time = untimed, maxSide }: RasterOptions = {},
): Promise<RasterResult> {
  const label = LABEL[format];
  const meta = await time("validate", () => readHeader(input, format));
  if (!meta.width || !meta.height) {
    throw new ScanValidationError("corrupt", `This ${label} file does not state its image size: the file is damaged.`);
  }
  assertPixelBudget(meta.width, meta.height, limits.maxPixels, `a ${label}`);

  // 'error' (not just 'truncated'): a file the decoder had to patch up could show wrong pixels, which is worse than
  // asking for a new export.
  const options: SharpOptions = { failOn: "error", limitInputPixels: limits.maxPixels };
  const colourBands = (meta.channels ?? 1) - (meta.hasAlpha ? 1 : 0);
  try {
    if (colourBands >= 3) {
      const share = await time("validate", () => colouredShareOfImage(sharp(input, options)));
      assertNotColourPicture(share, `${label} image`);
    }

    const sixteenBit = meta.depth === "ushort";
    // autoOrient applies EXIF orientation so the stored pixels are upright; alpha is flattened onto black because a
    // transparent border is "no exposure".
    let pipeline = sharp(input, options).autoOrient();
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: "#000000" });
    // Resizing before the pixels are read lets libjpeg decode a large JPEG at 1/2, 1/4 or 1/8 of its size (sharp
    // picks the largest factor that stays at or above the target), so a 3000 px film costs a quarter of the decode;
    // the rest is a lanczos3 reduction to exactly the longest side needed, as the renditions would do anyway.
    const shrink = format === "jpeg" && maxSide !== undefined && Math.max(meta.width, meta.height) >= 2 * maxSide;
    if (shrink) pipeline = pipeline.resize(maxSide, maxSide, { fit: "inside", kernel: "lanczos3" });
    // A plain raw() would quietly reduce 16-bit data to 8-bit sRGB; grey16/ushort keeps every level for the window.
    const { info, pixels } = await time("decode pixels", async () => {
      const { data, info } = sixteenBit
        ? await pipeline.toColourspace("grey16").raw({ depth: "ushort" }).toBuffer({ resolveWithObject: true })
        : await pipeline.toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
      // Copies, never views: a small Buffer may sit in Node's shared pool next to unrelated bytes.
      const pixels = sixteenBit ? robustWindowToEightBit(copyToUint16(data)) : new Uint8Array(data);
      return { info, pixels };
    });
    if (info.channels !== 1) throw new Error(`expected one channel, got ${info.channels}`);
    // EXIF orientations 5-8 swap the sides of the upright image.
    const [fullWidth, fullHeight] =
      (meta.orientation ?? 1) >= 5 ? [meta.height, meta.width] : [meta.width, meta.height];
    return {
      width: info.width,
      height: info.height,
      pixels,
      sourceBitDepth: meta.bitsPerSample ?? (sixteenBit ? 16 : 8),
      ...(shrink ? { fullSize: { width: fullWidth, height: fullHeight } } : {}),
    };
  } catch (error) {
    if (error instanceof ScanValidationError) throw error;
    throw new ScanValidationError(
      "corrupt",
      `This ${label} image is damaged or incomplete (it may have been cut off during upload or export), ` +
        "so it cannot be shown reliably.",
    );
  }
}

function copyToUint16(bytes: Buffer): Uint16Array {
  const out = new Uint16Array(bytes.length >> 1);
  new Uint8Array(out.buffer).set(bytes.subarray(0, out.length * 2));
  return out;
}
