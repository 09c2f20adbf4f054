// Blobs as files under one folder (the data directory by default). Writes go to a temporary file that is renamed
// into place, so a reader or a crash never sees half a file; listings skip those temporary files.
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { BlobNotFoundError, checkKey, checkPrefix, type BlobInfo, type BlobStore, type BlobStream } from "./blob-store";

const TMP = /\.[0-9a-f]{12}\.tmp$/;

function notFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  private file(key: string): string {
    return path.join(this.root, checkKey(key));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
    const handle = await open(tmp, "w", 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await readFile(this.file(key));
    } catch (error) {
      if (notFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async open(key: string): Promise<BlobStream> {
    const file = this.file(key);
    try {
      const handle = await open(file, "r");
      const { size } = await handle.stat();
      const stream = createReadStream("", { fd: handle, autoClose: true });
      return { body: Readable.toWeb(stream) as ReadableStream<Uint8Array>, size };
    } catch (error) {
      if (notFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const info = await stat(this.file(key));
      return info.isFile() ? { key, size: info.size, modifiedAt: info.mtime } : null;
    } catch (error) {
      if (notFound(error)) return null;
      throw error;
    }
  }

  async remove(keys: readonly string[]): Promise<void> {
    const folders = new Set<string>();
    for (const key of keys) {
      const file = this.file(key);
      await rm(file, { force: true });
      folders.add(path.dirname(file));
    }
    // Empty folders go too, up to the root (a bucket has no folders to leave behind); rmdir refuses non-empty ones.
    for (const folder of folders) {
      let dir = folder;
      while (dir.startsWith(this.root + path.sep)) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
        dir = path.dirname(dir);
      }
    }
  }

  list(prefix: string): AsyncIterable<BlobInfo> {
    return this.walk(checkPrefix(prefix));
  }

  private async *walk(prefix: string): AsyncIterable<BlobInfo> {
    let entries;
    try {
      entries = await readdir(path.join(this.root, prefix), { withFileTypes: true });
    } catch (error) {
      if (notFound(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        yield* this.walk(`${prefix}${entry.name}/`);
      } else if (entry.isFile() && !TMP.test(entry.name)) {
        const key = `${prefix}${entry.name}`;
        const info = await this.stat(key).catch(() => null);
        if (info) yield info;
      }
    }
  }
}
