// The configured store (lib/config.ts: RADTRACK_STORAGE): the data directory by default, an S3-compatible bucket when
// web servers and workers run on several machines. One client per process and configuration.
import { config, type RadtrackConfig } from "@/lib/config";
import type { BlobStore } from "./blob-store";
import { LocalBlobStore } from "./local-blob-store";
import { S3BlobStore } from "./s3-blob-store";
import { ScanStore } from "./scan-store";

export function blobStoreFor(cfg: Pick<RadtrackConfig, "dataDir" | "storage">): BlobStore {
  return cfg.storage.kind === "s3" ? new S3BlobStore(cfg.storage) : new LocalBlobStore(cfg.dataDir);
}

let cached: { cfg: RadtrackConfig; blobs: BlobStore } | undefined;

/** The process's store, from config(). */
export function blobStore(): BlobStore {
  const cfg = config();
  if (cached?.cfg !== cfg) cached = { cfg, blobs: blobStoreFor(cfg) };
  return cached.blobs;
}

/** A data directory named explicitly (tests, benchmarks) is a local store; otherwise the configured one. */
export function blobStoreAt(dataDir: string | undefined): BlobStore {
  return dataDir ? new LocalBlobStore(dataDir) : blobStore();
}

export function scanStore(): ScanStore {
  return new ScanStore(blobStore());
}

/** True when files written here are seen by every machine (a bucket), not only by this one (its data directory). */
export function storageIsShared(): boolean {
  return config().storage.kind === "s3";
}
