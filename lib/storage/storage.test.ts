// One contract for both stores: the data directory and an S3-compatible bucket (a real S3-protocol server, s3rver, in
// a child process). Whatever runs on one must run on the other: content addressing, all-or-nothing writes, listing
// for the orphan sweep, removal.
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storageFromEnv } from "@/lib/config";
import { startS3Server, type TestS3Server } from "@/tests/support/s3-server";
import { BlobNotFoundError, type BlobStore } from "./blob-store";
import { LocalBlobStore } from "./local-blob-store";
import { S3BlobStore } from "./s3-blob-store";
import { ScanStore } from "./scan-store";

interface Backend {
  name: string;
  open(): Promise<BlobStore>;
  close(): Promise<void>;
}

let s3: TestS3Server | undefined;
const folders: string[] = [];

function s3Store(prefix: string): S3BlobStore {
  const settings = storageFromEnv(s3!.env(prefix));
  if (settings.kind !== "s3") throw new Error("expected S3 settings");
  return new S3BlobStore(settings);
}

const backends: Backend[] = [
  {
    name: "local folder",
    open: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-blobs-"));
      folders.push(dir);
      return new LocalBlobStore(dir);
    },
    close: async () => {
      await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  },
  {
    name: "S3 bucket (s3rver)",
    open: async () => {
      s3 ??= await startS3Server();
      return s3Store(`contract-${randomBytes(4).toString("hex")}`);
    },
    close: async () => {
      await s3?.stop();
      s3 = undefined;
    },
  },
];

async function keysOf(store: BlobStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const blob of store.list(prefix)) keys.push(blob.key);
  return keys.sort();
}

async function streamed(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe.each(backends)("storage contract: $name", (backend) => {
  let store: BlobStore;

  beforeAll(async () => {
    store = await backend.open();
  }, 60_000);
  afterAll(() => backend.close());

  it("stores, reads, streams and describes a blob; a second write replaces it", async () => {
    const bytes = randomBytes(300_000);
    await store.put("a/b/one.bin", bytes);
    expect((await store.get("a/b/one.bin")).equals(bytes)).toBe(true);
    const info = await store.stat("a/b/one.bin");
    expect(info?.size).toBe(bytes.length);
    expect(Math.abs(info!.modifiedAt.getTime() - Date.now())).toBeLessThan(60_000);
    const opened = await store.open("a/b/one.bin");
    expect(opened.size).toBe(bytes.length);
    expect((await streamed(opened.body)).equals(bytes)).toBe(true);
    await store.put("a/b/one.bin", Buffer.from("shorter"));
    expect((await store.get("a/b/one.bin")).toString()).toBe("shorter");
  });

  it("says what is missing without throwing anything else", async () => {
    await expect(store.get("nothing/here")).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.open("nothing/here")).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await store.stat("nothing/here")).toBeNull();
    await expect(store.remove(["nothing/here", "nothing/either"])).resolves.toBeUndefined();
  });

  it("refuses keys that could leave the store or mean different things on a disk and in a bucket", async () => {
    for (const key of ["../escape", "/absolute", "a//b", "a/../b", "", "a/", "with space", "a/./b"]) {
      await expect(store.put(key, Buffer.from("x")), key).rejects.toThrow(/not a storage key/);
      await expect(store.get(key), key).rejects.toThrow(/not a storage key/);
    }
    expect(() => store.list("no-slash")).toThrow(/not a storage prefix/);
  });

  it("lists everything under a prefix, and nothing of other prefixes", async () => {
    for (const key of ["list/b/2", "list/a/1", "list/a.txt", "list/a0", "listing/other", "list/b/10"]) {
      await store.put(key, Buffer.from(key));
    }
    expect(await keysOf(store, "list/")).toEqual(["list/a.txt", "list/a/1", "list/a0", "list/b/10", "list/b/2"].sort());
    expect(await keysOf(store, "list/b/")).toEqual(["list/b/10", "list/b/2"]);
    expect(await keysOf(store, "absent/")).toEqual([]);
    await store.remove(await keysOf(store, "list/"));
    expect(await keysOf(store, "list/")).toEqual([]);
    expect(await keysOf(store, "listing/")).toEqual(["listing/other"]);
  });

  it("keeps a scan's files under its content address, once, and removes them all", async () => {
    const scans = new ScanStore(store);
    const files = { original: randomBytes(1000), preview: randomBytes(500), thumbnail: randomBytes(100) };
    const digest = sha("scan one");
    const first = await scans.put(digest, files);
    expect(first).toEqual({ key: `${digest.slice(0, 2)}/${digest}`, created: true });
    expect(await scans.exists(first.key)).toBe(true);
    // The same content again: nothing written, and the caller learns it did not create the files.
    expect(await scans.put(digest, { ...files, preview: randomBytes(10) })).toEqual({ key: first.key, created: false });
    expect((await scans.read(first.key, "preview.jpg")).equals(files.preview)).toBe(true);
    expect((await scans.readOriginal(first.key)).equals(files.original)).toBe(true);
    const thumb = await scans.open(first.key, "thumb.jpg");
    expect((await streamed(thumb.body)).equals(files.thumbnail)).toBe(true);
    expect((await scans.writtenAt(first.key))!.getTime()).toBeLessThanOrEqual(Date.now());

    // An interrupted write (original only) is listed as incomplete, for the orphan sweep; other files are not listed.
    await store.put("scans/zz/notes.txt", Buffer.from("not a scan"));
    await store.put(`scans/${first.key}/notes.txt`, Buffer.from("not a rendition"));
    const partial = sha("scan two");
    const partialKey = scans.keyFor(partial);
    await store.put(`scans/${partialKey}/original`, Buffer.from("half"));
    expect(await scans.exists(partialKey)).toBe(false);
    const listed = [];
    for await (const entry of scans.list()) listed.push({ key: entry.key, complete: entry.complete });
    expect(listed.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [
        { key: first.key, complete: true },
        { key: partialKey, complete: false },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    );

    await scans.remove(first.key);
    await scans.remove(partialKey);
    expect(await scans.exists(first.key)).toBe(false);
    await expect(scans.read(first.key, "preview.jpg")).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await keysOf(store, "scans/")).toEqual(["scans/zz/notes.txt", `scans/${first.key}/notes.txt`].sort());
    await store.remove(await keysOf(store, "scans/"));
    expect(await scans.writtenAt(first.key)).toBeNull();
    expect(() => scans.keyFor("not-a-digest")).toThrow(/sha256/);
    await expect(scans.read("../../etc/passwd", "preview.jpg")).rejects.toThrow(/not a storage key/);
  });
});

describe("the local folder", () => {
  it("leaves no empty folders behind and never lists a write in progress", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-blobs-"));
    try {
      const store = new LocalBlobStore(dir);
      await store.put("scans/ab/x/original", Buffer.from("x"));
      await store.put("scans/ab/y/original", Buffer.from("y"));
      await store.remove(["scans/ab/x/original"]);
      expect(await readdir(path.join(dir, "scans", "ab"))).toEqual(["y"]);
      await store.remove(["scans/ab/y/original"]);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("two prefixes in one bucket", () => {
  it("do not see each other's blobs", async () => {
    const server = await startS3Server();
    s3 = server;
    try {
      const a = s3Store("site-a");
      const b = s3Store("site-b/nested");
      await a.put("k/1", Buffer.from("a"));
      await b.put("k/1", Buffer.from("b"));
      expect((await a.get("k/1")).toString()).toBe("a");
      expect((await b.get("k/1")).toString()).toBe("b");
      expect(await keysOf(a, "")).toEqual(["k/1"]);
      expect(a.location).toBe("s3://radtrack-test/site-a/");
    } finally {
      await server.stop();
      s3 = undefined;
    }
  });
});
