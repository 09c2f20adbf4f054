// Content-addressed files of each scan under <data dir>/scans/<aa>/<sha256>/: the original as received (kept for the
// record, never served: a DICOM preamble can carry an executable, CVE-2019-11687), a web preview and a thumbnail,
// both re-encoded from decoded pixels so no metadata survives. The same content shares one folder.
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";

export type Rendition = "original" | "preview.jpg" | "thumb.jpg";

/** One stored folder, as the orphan sweep sees it. */
export interface StoredEntry {
  key: string;
  /** The newest change to the folder or any file in it: a folder being written looks recent. */
  modifiedAt: Date;
}

export interface ScanFiles {
  original: Buffer;
  preview: Buffer;
  thumbnail: Buffer;
}

const SHA256 = /^[0-9a-f]{64}$/;

export class ScanStore {
  constructor(readonly root: string) {}

  static forDataDir(dataDir: string): ScanStore {
    return new ScanStore(path.join(dataDir, "scans"));
  }

  keyFor(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error("storage keys are sha256 digests");
    return `${sha256.slice(0, 2)}/${sha256}`;
  }

  private dir(key: string): string {
    if (!/^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(key)) throw new Error(`not a storage key: ${key}`);
    return path.join(this.root, key);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(path.join(this.dir(key), "thumb.jpg"));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Writes the files unless this content is already stored. Returns whether this call created them, so that a
   * failed ingest removes only what it added and never a folder another scan relies on.
   */
  async put(sha256: string, files: ScanFiles): Promise<{ key: string; created: boolean }> {
    const key = this.keyFor(sha256);
    if (await this.exists(key)) return { key, created: false };
    const dir = this.dir(key);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Thumbnail last: its presence marks a complete folder.
    await writeAtomic(path.join(dir, "original"), files.original);
    await writeAtomic(path.join(dir, "preview.jpg"), files.preview);
    await writeAtomic(path.join(dir, "thumb.jpg"), files.thumbnail);
    return { key, created: true };
  }

  async remove(key: string): Promise<void> {
    await rm(this.dir(key), { recursive: true, force: true });
    // The two-letter fan-out folder goes too once empty; rmdir refuses while other scans live there.
    await rmdir(path.dirname(this.dir(key))).catch(() => {});
  }

  /**
   * Every stored folder, complete or not (a crash mid-write leaves partial ones). Anything under the root that is
   * not laid out as a storage key is not listed, so nothing else is ever a candidate for removal.
   */
  async *list(): AsyncGenerator<StoredEntry> {
    const fans = await readdir(this.root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    });
    for (const fan of fans) {
      if (!fan.isDirectory() || !/^[0-9a-f]{2}$/.test(fan.name)) continue;
      const folders = await readdir(path.join(this.root, fan.name), { withFileTypes: true }).catch(() => []);
      for (const folder of folders) {
        if (!folder.isDirectory() || !SHA256.test(folder.name) || !folder.name.startsWith(fan.name)) continue;
        const key = `${fan.name}/${folder.name}`;
        const dir = this.dir(key);
        try {
          let newest = (await stat(dir)).mtimeMs;
          for (const file of await readdir(dir)) {
            newest = Math.max(newest, (await stat(path.join(dir, file)).catch(() => ({ mtimeMs: 0 }))).mtimeMs);
          }
          yield { key, modifiedAt: new Date(newest) };
        } catch {
          // removed while we looked: nothing to report
        }
      }
    }
  }

  /** The bytes as received, for re-processing (a new model) only: never send them to a client. */
  readOriginal(key: string): Promise<Buffer> {
    return readFile(path.join(this.dir(key), "original"));
  }

  read(key: string, rendition: Exclude<Rendition, "original">): Promise<Buffer> {
    return readFile(path.join(this.dir(key), rendition));
  }
}

async function writeAtomic(file: string, data: Buffer): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(tmp, "w", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}
