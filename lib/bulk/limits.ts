// Bounds of one bulk upload (the configurable ones from lib/config.ts). Everything an upload can make the server do (bytes written to
// disk, files inflated, rows checked) is bounded by these before any work starts.
import { bulkUploadSettings, uploadLimits } from "@/lib/config";

export interface BulkLimits {
  /** All files of one upload together, uncompressed (zip entries as inflated). */
  maxTotalBytes: number;
  /** Files in one upload (zip entries included) and rows in its manifest. */
  maxFiles: number;
  /** Largest uncompressed / compressed ratio a zip entry may have (zip bombs reach thousands). */
  maxRatio: number;
  /** Entries smaller than this are not held to the ratio: a small file of repeated bytes is no threat. */
  ratioFloorBytes: number;
  /** One image, as for single uploads (RADTRACK_MAX_UPLOAD_MB). */
  maxFileBytes: number;
  /** Largest manifest. */
  maxManifestBytes: number;
}

export function bulkLimits(): BulkLimits {
  return {
    ...bulkUploadSettings(),
    ratioFloorBytes: 1024 * 1024,
    maxFileBytes: uploadLimits().maxBytes,
    maxManifestBytes: 10 * 1024 * 1024,
  };
}

/** Chunks of an upload: under Next's 10 MB body buffer for requests that pass through proxy.ts. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
