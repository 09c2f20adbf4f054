// Content-addressed files of each scan under scans/<aa>/<sha256>/ in the blob store (a folder or a bucket): the
// original as received (kept for the record, never served: a DICOM preamble can carry an executable, CVE-2019-11687),
// a web preview and a thumbnail, both re-encoded from decoded pixels so no metadata survives. The same content shares
// one key.
import path from "node:path";
import type { BlobStore, BlobStream } from "./blob-store";
import { LocalBlobStore } from "./local-blob-store";

export type Rendition = "original" | "preview.jpg" | "thumb.jpg" | "full.jpg" | "heatmap.png" | "heatmap.json";
export type ServedRendition = Exclude<Rendition, "original">;

/** One stored key, as the orphan sweep (orphan-sweep.ts) sees it. */
export interface StoredEntry {
  key: string;
  /** The newest of its files: a key whose files are still being written looks recent. */
  modifiedAt: Date;
  /** Its thumbnail, written last, is there. */
  complete: boolean;
}

export interface ScanFiles {
  original: Buffer;
  preview: Buffer;
  thumbnail: Buffer;
}

const SHA256 = /^[0-9a-f]{64}$/;
const STORAGE_KEY = /^[0-9a-f]{2}\/[0-9a-f]{64}$/;
const ROOT = "scans/";
const RENDITIONS: readonly Rendition[] = [
  "original",
  "preview.jpg",
  "thumb.jpg",
  "full.jpg",
  "heatmap.png",
  "heatmap.json",
];
/** Renditions made after the scan is stored: the viewer's large image, and the occlusion heatmap with its numbers. */
export type LaterRendition = "full.jpg" | "heatmap.png" | "heatmap.json";

export class ScanStore {
  constructor(readonly blobs: BlobStore) {}

  /** The layout of the default: <data dir>/scans/... */
  static forDataDir(dataDir: string): ScanStore {
    return new ScanStore(new LocalBlobStore(dataDir));
  }

  /** For logs: the folder or bucket the scans live in. */
  get location(): string {
    return this.blobs instanceof LocalBlobStore ? path.join(this.blobs.root, "scans") : `${this.blobs.location}${ROOT}`;
  }

  keyFor(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error("storage keys are sha256 digests");
    return `${sha256.slice(0, 2)}/${sha256}`;
  }

  private blobKey(key: string, rendition: Rendition): string {
    if (!STORAGE_KEY.test(key)) throw new Error(`not a storage key: ${key}`);
    return `${ROOT}${key}/${rendition}`;
  }

  /** A scan's files are complete once its thumbnail, written last, is there. */
  async exists(key: string): Promise<boolean> {
    return (await this.blobs.stat(this.blobKey(key, "thumb.jpg"))) !== null;
  }

  /**
   * Writes the files unless this content is already stored. Returns whether this call created them, so that a
   * failed ingest removes only what it added and never a key another scan relies on.
   */
  async put(sha256: string, files: ScanFiles): Promise<{ key: string; created: boolean }> {
    const key = this.keyFor(sha256);
    if (await this.exists(key)) return { key, created: false };
    // Thumbnail last: its presence marks a complete set.
    await this.blobs.put(this.blobKey(key, "original"), files.original);
    await this.blobs.put(this.blobKey(key, "preview.jpg"), files.preview);
    await this.blobs.put(this.blobKey(key, "thumb.jpg"), files.thumbnail);
    return { key, created: true };
  }

  /** Stores a rendition made after the scan's files (see LaterRendition); the scan's key must already exist. */
  async putLater(key: string, rendition: LaterRendition, bytes: Buffer): Promise<void> {
    await this.blobs.put(this.blobKey(key, rendition), bytes);
  }

  async hasRendition(key: string, rendition: ServedRendition): Promise<boolean> {
    return (await this.blobs.stat(this.blobKey(key, rendition))) !== null;
  }

  /** The files stored under a key (original and renditions), e.g. for a purge to say what it removes. */
  async renditionsOf(key: string): Promise<Rendition[]> {
    const found = await Promise.all(
      RENDITIONS.map(async (r) => ((await this.blobs.stat(this.blobKey(key, r))) ? r : null)),
    );
    return found.filter((r): r is Rendition => r !== null);
  }

  async remove(key: string): Promise<void> {
    await this.blobs.remove(RENDITIONS.map((r) => this.blobKey(key, r)));
  }

  /** The bytes as received, for re-processing (a new model) only: never send them to a client. */
  async readOriginal(key: string): Promise<Buffer> {
    return this.blobs.get(this.blobKey(key, "original"));
  }

  async read(key: string, rendition: ServedRendition): Promise<Buffer> {
    return this.blobs.get(this.blobKey(key, rendition));
  }

  /** A rendition as a stream, for the image routes. */
  async open(key: string, rendition: ServedRendition): Promise<BlobStream> {
    return this.blobs.open(this.blobKey(key, rendition));
  }

  /** When writing of this key's files began (its original's time); null when nothing is stored under it. */
  async writtenAt(key: string): Promise<Date | null> {
    const first =
      (await this.blobs.stat(this.blobKey(key, "original"))) ?? (await this.blobs.stat(this.blobKey(key, "thumb.jpg")));
    return first?.modifiedAt ?? null;
  }

  /**
   * Every storage key with at least one file, complete or not (a crash mid-write leaves partial ones). Anything not
   * laid out as a storage key is not listed, so nothing else is ever a candidate for removal. One fan-out folder at a
   * time, so memory stays at 1/256 of the store.
   */
  async *list(): AsyncGenerator<StoredEntry> {
    for (let fan = 0; fan < 256; fan++) {
      const folder = `${ROOT}${fan.toString(16).padStart(2, "0")}/`;
      const found = new Map<string, StoredEntry>();
      for await (const blob of this.blobs.list(folder)) {
        const parts = blob.key.slice(ROOT.length).split("/");
        const key = parts.length === 3 ? `${parts[0]}/${parts[1]}` : "";
        if (!STORAGE_KEY.test(key) || !RENDITIONS.includes(parts[2] as Rendition)) continue;
        const entry = found.get(key) ?? { key, modifiedAt: blob.modifiedAt, complete: false };
        if (blob.modifiedAt > entry.modifiedAt) entry.modifiedAt = blob.modifiedAt;
        if (parts[2] === "thumb.jpg") entry.complete = true;
        found.set(key, entry);
      }
      yield* [...found.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
    }
  }
}
