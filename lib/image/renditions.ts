// Images we serve are re-encoded from the decoded 8-bit pixels, never copied from the upload: no EXIF (GPS, device
// serials), no ICC quirks and no DICOM preamble can reach a browser through them.
import sharp from "sharp";
import type { DecodedScan } from "./types";

export const PREVIEW_MAX_SIDE = 1024;
export const THUMBNAIL_SIDE = 192;
/** The viewer's rendition: large enough for a second look at full screen, still re-encoded and metadata-free. */
export const FULL_MAX_SIDE = 2048;

type Pixels = Pick<DecodedScan, "width" | "height" | "pixels">;

function fromPixels(scan: Pixels) {
  return sharp(scan.pixels, { raw: { width: scan.width, height: scan.height, channels: 1 } });
}

/** Longest side at most 1024 px (never enlarged), JPEG, no metadata. */
export async function makePreview(scan: Pixels): Promise<Buffer> {
  return fromPixels(scan)
    .resize(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/** Longest side exactly 192 px (enlarged if needed, so thumbnails line up in a grid), JPEG, no metadata. */
export async function makeThumbnail(scan: Pixels): Promise<Buffer> {
  return fromPixels(scan).resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: "inside" }).jpeg({ quality: 80 }).toBuffer();
}

/** Longest side at most 2048 px (never enlarged), JPEG, no metadata: what the viewer zooms into. */
export async function makeFullRendition(scan: Pixels): Promise<Buffer> {
  return fromPixels(scan)
    .resize(FULL_MAX_SIDE, FULL_MAX_SIDE, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 90 })
    .toBuffer();
}
