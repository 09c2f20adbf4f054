// Bounds of one bulk upload, from the environment. Everything an upload can make the server do (bytes written to
// disk, files inflated, rows checked) is bounded by these before any work starts.
import { uploadLimits } from "@/lib/scans/ingest";

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

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function bulkLimits(): BulkLimits {
  return {
    maxTotalBytes: Math.round(positive("RADTRACK_BULK_MAX_MB", 2048) * 1024 * 1024),
    maxFiles: Math.round(positive("RADTRACK_BULK_MAX_FILES", 5000)),
    maxRatio: positive("RADTRACK_BULK_MAX_RATIO", 100),
    ratioFloorBytes: 1024 * 1024,
    maxFileBytes: uploadLimits().maxBytes,
    maxManifestBytes: 10 * 1024 * 1024,
  };
}

/** Chunks of an upload: under Next's 10 MB body buffer for requests that pass through proxy.ts. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
