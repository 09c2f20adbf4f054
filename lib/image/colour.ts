// Colour check. A radiograph saved as RGB has R = G = B (give or take compression noise), while a photograph or a
// coloured figure has visibly coloured areas. Counting strongly coloured pixels, rather than averaging colour over
// the image, lets an X-ray with a few red arrows or a coloured label through while a photo is refused.
import type { Sharp } from "sharp";
import { ScanValidationError } from "./errors";

/** Chroma (max - min of R, G, B, out of 255) above which a pixel is clearly coloured, not a grey with a cast. */
const CLEAR_CHROMA = 40;
/** Share of clearly coloured pixels above which the picture is a colour image, not a grey X-ray with annotations. */
const MAX_COLOURED_SHARE = 0.2;
const CHECK_SIZE = 128;

export function colouredShare(rgb: Uint8Array, channels: number): number {
  const n = Math.floor(rgb.length / channels);
  if (n === 0) return 0;
  let coloured = 0;
  for (let i = 0; i < n; i++) {
    const r = rgb[i * channels]!;
    const g = rgb[i * channels + 1]!;
    const b = rgb[i * channels + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > CLEAR_CHROMA) coloured++;
  }
  return coloured / n;
}

/** Measures on a small copy: colour is a large-area property, and this keeps the check cheap on big images. */
export async function colouredShareOfImage(image: Sharp): Promise<number> {
  const { data, info } = await image
    .flatten({ background: "#000000" })
    .resize(CHECK_SIZE, CHECK_SIZE, { fit: "inside", withoutEnlargement: true })
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels < 3) return 0;
  return colouredShare(data, info.channels);
}

export function assertNotColourPicture(share: number, what: string): void {
  if (share > MAX_COLOURED_SHARE) {
    throw new ScanValidationError(
      "not_radiograph",
      `This ${what} is a colour picture (about ${Math.round(share * 100)}% of it is clearly coloured), ` +
        "so it does not look like an X-ray, which is grey. Please upload the X-ray image itself.",
    );
  }
}
