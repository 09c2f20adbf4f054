// The object store under everything Radtrack keeps as files: stored scans (scan-store.ts) and the files of bulk jobs
// waiting for a worker. Two backends with one contract (blob-store.contract.ts runs against both): a local folder
// (the default) and an S3-compatible bucket, so that web servers and workers on several machines see the same files.

/** Keys are relative '/'-separated paths of plain names: what a folder and a bucket can both hold. */
const KEY = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const PREFIX = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*$/;

export interface BlobInfo {
  key: string;
  size: number;
  modifiedAt: Date;
}

export interface BlobStream {
  body: ReadableStream<Uint8Array>;
  size: number;
}

export interface BlobStore {
  /** Where the blobs are, for logs and the status page: a folder or s3://bucket/prefix. */
  readonly location: string;
  /** Writes the whole blob; readers see the old content or the new one, never a part. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** @throws BlobNotFoundError */
  get(key: string): Promise<Buffer>;
  /** The content as a stream, for responses that should not hold a whole image in memory. @throws BlobNotFoundError */
  open(key: string): Promise<BlobStream>;
  /** null when absent. */
  stat(key: string): Promise<BlobInfo | null>;
  /** Absent keys are not an error. */
  remove(keys: readonly string[]): Promise<void>;
  /**
   * Every blob whose key starts with `prefix` ("" or a folder ending in "/"), in no promised order (S3 lists in key
   * order, a folder and some S3-compatible servers do not).
   */
  list(prefix: string): AsyncIterable<BlobInfo>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no stored file ${key}`);
    this.name = "BlobNotFoundError";
  }
}

export function checkKey(key: string): string {
  if (!KEY.test(key) || key.split("/").some((part) => part === "." || part === "..")) {
    throw new Error(`not a storage key: ${JSON.stringify(key)}`);
  }
  return key;
}

export function checkPrefix(prefix: string): string {
  if (!PREFIX.test(prefix) || prefix.split("/").some((part) => part === "." || part === "..")) {
    throw new Error(`not a storage prefix (a folder ending in "/"): ${JSON.stringify(prefix)}`);
  }
  return prefix;
}
