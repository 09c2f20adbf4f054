// Colour DICOM (secondary captures, scanned films) becomes grey only after it passes the same radiograph check as
// a colour JPEG: R = G = B up to noise.
import sharp from "sharp";
import { assertNotColourPicture, colouredShareOfImage } from "../colour";

/** YBR_FULL to RGB (PS3.3 C.7.6.3.1.2, the JFIF equations). */
export function ybrFullToRgb(ybr: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const y = ybr[i * 3]!;
    const cb = ybr[i * 3 + 1]! - 128;
    const cr = ybr[i * 3 + 2]! - 128;
    out[i * 3] = clamp(y + 1.402 * cr);
    out[i * 3 + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    out[i * 3 + 2] = clamp(y + 1.772 * cb);
  }
  return out;
}

function clamp(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Rec. 601 luma, the weights JPEG and most viewers use to show colour data as grey. */
export function rgbToGrey(rgb: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    out[i] = clamp(0.299 * rgb[i * 3]! + 0.587 * rgb[i * 3 + 1]! + 0.114 * rgb[i * 3 + 2]!);
  }
  return out;
}

export async function colourFrameToGrey(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const share = await colouredShareOfImage(sharp(rgb, { raw: { width, height, channels: 3 } }));
  assertNotColourPicture(share, "DICOM image");
  return rgbToGrey(rgb, width * height);
}
