// Where a bulk upload waits on disk: <data dir>/bulk/<job id>/upload/<n> (the files as sent, in chunks) and
// items/<seq> (each accepted file under its own number, what the worker reads). The folder outlives a server restart,
// so a job resumes from it; it is removed when the job ends.
//
// Workers read the items through the blob store (bulk/<job id>/items/<seq>): on the default store that key is the
// very file the check left in the data directory; with a bucket the check's files are copied there ("published"), so
// that a worker on another machine can take the job. The chunks of an upload stay on the web server that received
// them until the check (a reverse proxy keeps one client on one web server: docker-compose.yml).
import { mkdir, open, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { BlobStore } from "@/lib/storage/blob-store";
import { LocalBlobStore } from "@/lib/storage/local-blob-store";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function bulkRoot(dataDir: string): string {
  return path.join(dataDir, "bulk");
}

export function stagingDir(dataDir: string, jobId: string): string {
  if (!UUID.test(jobId)) throw new Error("job ids are uuids");
  return path.join(bulkRoot(dataDir), jobId);
}

export function uploadPath(dataDir: string, jobId: string, index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new Error("bad upload index");
  return path.join(stagingDir(dataDir, jobId), "upload", String(index));
}

export function itemPath(dataDir: string, jobId: string, seq: number): string {
  if (!Number.isInteger(seq) || seq < 0) throw new Error("bad item number");
  return path.join(stagingDir(dataDir, jobId), "items", String(seq));
}

export async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/**
 * Writes one chunk at `offset`. A chunk sent again (the client retries after a lost answer) overwrites what was
 * there; a chunk that would leave a gap is refused. Returns the bytes now held.
 */
export async function writeChunk(file: string, offset: number, bytes: Uint8Array): Promise<number> {
  const held = await sizeOf(file);
  if (offset > held) throw new RangeError(`chunk at ${offset} but only ${held} bytes received`);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, held === 0 && offset === 0 ? "w" : "r+", 0o600);
  try {
    await handle.truncate(offset);
    await handle.write(bytes, 0, bytes.length, offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return offset + bytes.length;
}

export async function stagingOlderThan(dataDir: string, jobId: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(stagingDir(dataDir, jobId))).mtimeMs > ms;
  } catch {
    return false;
  }
}

export async function removeStaging(dataDir: string, jobId: string): Promise<void> {
  await rm(stagingDir(dataDir, jobId), { recursive: true, force: true });
}

/** Job ids that have a staging folder (for the sweeper: folders of finished or deleted jobs go). */
export async function stagedJobIds(dataDir: string): Promise<string[]> {
  try {
    return (await readdir(bulkRoot(dataDir))).filter((n) => UUID.test(n));
  } catch {
    return [];
  }
}

export function itemKey(jobId: string, seq: number): string {
  if (!UUID.test(jobId)) throw new Error("job ids are uuids");
  if (!Number.isInteger(seq) || seq < 0) throw new Error("bad item number");
  return `bulk/${jobId}/items/${seq}`;
}

/** True when the blob store's bulk/ keys are the data directory's own staging files. */
function sameFiles(dataDir: string, blobs: BlobStore): boolean {
  return blobs instanceof LocalBlobStore && path.resolve(blobs.root) === path.resolve(dataDir);
}

/** Makes the checked files readable by every worker: copies them to a shared store, then drops the local copies. */
export async function publishItems(dataDir: string, blobs: BlobStore, jobId: string, seqs: number[]): Promise<void> {
  if (sameFiles(dataDir, blobs)) return;
  for (const seq of seqs) {
    await blobs.put(itemKey(jobId, seq), await readFile(itemPath(dataDir, jobId, seq)));
  }
  await rm(path.join(stagingDir(dataDir, jobId), "items"), { recursive: true, force: true });
}

/** Removes the job's files: the local staging folder and, on a shared store, what was published. */
export async function removeJobFiles(dataDir: string, blobs: BlobStore, jobId: string): Promise<void> {
  await removeStaging(dataDir, jobId);
  if (sameFiles(dataDir, blobs)) return;
  const keys: string[] = [];
  for await (const blob of blobs.list(`bulk/${jobId}/`)) keys.push(blob.key);
  await blobs.remove(keys);
}
