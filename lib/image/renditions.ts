// Images we serve are re-encoded from the decoded 8-bit pixels, never copied from the upload: no EXIF (GPS, device
// serials), no ICC quirks and no DICOM preamble can reach a browser through them.
import sharp, { type Sharp } from "sharp";
import type { DecodedScan } from "./types";

export const PREVIEW_MAX_SIDE = 1024;
export const THUMBNAIL_SIDE = 192;
/** The viewer's rendition: large enough for a second look at full screen, still re-encoded and metadata-free. */
export const FULL_MAX_SIDE = 2048;

type Pixels = Pick<DecodedScan, "width" | "height" | "pixels">;

function fromPixels(scan: Pixels) {
  return sharp(scan.pixels, { raw: { width: scan.width, height: scan.height, channels: 1 } });
}

// Each rendition's recipe, applied to a sharp input of the decoded pixels (its own, or a clone of a shared one).
const preview = (input: Sharp) =>
  input
    .resize(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 88 })
    .toBuffer();
const thumbnail = (input: Sharp) =>
  input.resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: "inside" }).jpeg({ quality: 80 }).toBuffer();
const full = (input: Sharp) =>
  input
    .resize(FULL_MAX_SIDE, FULL_MAX_SIDE, { fit: "inside", withoutEnlargement: true })
    .jpeg({ quality: 90 })
    .toBuffer();

/** Longest side at most 1024 px (never enlarged), JPEG, no metadata. */
export async function makePreview(scan: Pixels): Promise<Buffer> {
  return preview(fromPixels(scan));
}

/** Longest side exactly 192 px (enlarged if needed, so thumbnails line up in a grid), JPEG, no metadata. */
export async function makeThumbnail(scan: Pixels): Promise<Buffer> {
  return thumbnail(fromPixels(scan));
}

/** Longest side at most 2048 px (never enlarged), JPEG, no metadata: what the viewer zooms into. */
export async function makeFullRendition(scan: Pixels): Promise<Buffer> {
  return full(fromPixels(scan));
}

export interface Renditions {
  preview: Buffer;
  thumbnail: Buffer;
  /** The viewer's 2048 px rendition, when asked for. */
  full?: Buffer;
}

/**
 * The renditions of one decoded image, from one sharp input that each of them clones: the pixels are handed to
 * libvips once, and the outputs are the same bytes as makePreview, makeThumbnail and makeFullRendition give.
 */
export async function makeRenditions(scan: Pixels, options: { full?: boolean } = {}): Promise<Renditions> {
  const input = fromPixels(scan);
  const [p, t, f] = await Promise.all([
    preview(input.clone()),
    thumbnail(input.clone()),
    options.full ? full(input.clone()) : undefined,
  ]);
  return { preview: p, thumbnail: t, ...(f ? { full: f } : {}) };
}
