// Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...) under a key prefix, through AWS SDK v3. A PUT is atomic
// per object, so the store needs no temporary names. Server-side encryption, when configured, is asked for on every
// write rather than trusted to the bucket's default.
import { Readable } from "node:stream";
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type ServerSideEncryption,
} from "@aws-sdk/client-s3";
import { BlobNotFoundError, checkKey, checkPrefix, type BlobInfo, type BlobStore, type BlobStream } from "./blob-store";

export interface S3StorageSettings {
  bucket: string;
  /** Key prefix inside the bucket: "" or ending in "/". */
  prefix: string;
  region: string;
  /** MinIO and other S3-compatible servers; absent for AWS. */
  endpoint?: string;
  /** Bucket in the path (http://host/bucket/key) instead of the host name: what most self-hosted servers need. */
  forcePathStyle: boolean;
  /** "AES256" (keys managed by the store) or "aws:kms"; absent: the bucket's default. */
  serverSideEncryption?: "AES256" | "aws:kms";
  kmsKeyId?: string;
  /** Absent: the SDK's default chain (instance role, web identity, shared config). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === "NoSuchKey" || error.name === "NotFound" || error.$metadata.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly client: S3Client;

  constructor(
    readonly settings: S3StorageSettings,
    client?: S3Client,
  ) {
    checkPrefix(settings.prefix);
    this.client =
      client ??
      new S3Client({
        region: settings.region,
        endpoint: settings.endpoint,
        forcePathStyle: settings.forcePathStyle,
        credentials: settings.credentials,
        // Checksums only where S3 requires them: several S3-compatible servers reject the newer default ones.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
  }

  get location(): string {
    return `s3://${this.settings.bucket}/${this.settings.prefix}`;
  }

  private objectKey(key: string): string {
    return this.settings.prefix + checkKey(key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const sse = this.settings.serverSideEncryption;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.objectKey(key),
        Body: bytes,
        ContentLength: bytes.byteLength,
        ...(sse ? { ServerSideEncryption: sse as ServerSideEncryption } : {}),
        ...(sse === "aws:kms" && this.settings.kmsKeyId ? { SSEKMSKeyId: this.settings.kmsKeyId } : {}),
      }),
    );
  }

  private async getObject(key: string) {
    try {
      return await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }));
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  async get(key: string): Promise<Buffer> {
    const object = await this.getObject(key);
    if (!object.Body) throw new BlobNotFoundError(key);
    return Buffer.from(await object.Body.transformToByteArray());
  }

  async open(key: string): Promise<BlobStream> {
    const object = await this.getObject(key);
    if (!object.Body) throw new BlobNotFoundError(key);
    // In Node the SDK's body is an http.IncomingMessage, a Readable.
    const body = Readable.toWeb(object.Body as Readable) as ReadableStream<Uint8Array>;
    return { body, size: object.ContentLength ?? 0 };
  }

  async stat(key: string): Promise<BlobInfo | null> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.objectKey(key) }),
      );
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async remove(keys: readonly string[]): Promise<void> {
    // DeleteObjects takes at most 1,000 keys per request.
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.settings.bucket,
          Delete: { Objects: chunk.map((key) => ({ Key: this.objectKey(key) })), Quiet: true },
        }),
      );
      const failed = (result.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length) {
        throw new Error(
          `could not remove ${failed.length} stored files (first: ${failed[0]!.Key}: ${failed[0]!.Code})`,
        );
      }
    }
  }

  list(prefix: string): AsyncIterable<BlobInfo> {
    return this.pages(this.settings.prefix + checkPrefix(prefix));
  }

  private async *pages(full: string): AsyncIterable<BlobInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: full, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        yield {
          key: object.Key.slice(this.settings.prefix.length),
          size: object.Size ?? 0,
          modifiedAt: object.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
