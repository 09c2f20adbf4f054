import { describe, expect, it } from "vitest";
import { loadConfig, storageFromEnv } from "./config";

describe("storage configuration", () => {
  it("is the data directory unless RADTRACK_STORAGE names a bucket", () => {
    expect(storageFromEnv({})).toEqual({ kind: "local" });
    expect(storageFromEnv({ RADTRACK_STORAGE: "local" })).toEqual({ kind: "local" });
    expect(loadConfig({ NODE_ENV: "test" }, "/srv/radtrack").storage).toEqual({ kind: "local" });
  });

  it("reads a bucket, its prefix and the AWS SDK's usual variables", () => {
    expect(
      storageFromEnv({
        RADTRACK_STORAGE: "s3://radtrack-scans/site-a/prod/",
        AWS_REGION: "eu-central-1",
        AWS_ACCESS_KEY_ID: "AKIA",
        AWS_SECRET_ACCESS_KEY: "secret",
        RADTRACK_S3_SSE: "aws:kms",
        RADTRACK_S3_KMS_KEY_ID: "alias/radtrack",
      }),
    ).toEqual({
      kind: "s3",
      bucket: "radtrack-scans",
      prefix: "site-a/prod/",
      region: "eu-central-1",
      endpoint: undefined,
      forcePathStyle: false,
      serverSideEncryption: "aws:kms",
      kmsKeyId: "alias/radtrack",
      credentials: { accessKeyId: "AKIA", secretAccessKey: "secret", sessionToken: undefined },
    });
  });

  it("reaches a self-hosted server by path unless told otherwise, and leaves credentials to the SDK when absent", () => {
    const minio = storageFromEnv({ RADTRACK_STORAGE: "s3://scans", AWS_ENDPOINT_URL: "http://minio:9000" });
    expect(minio).toMatchObject({ kind: "s3", bucket: "scans", prefix: "", forcePathStyle: true });
    expect(minio.kind === "s3" && minio.credentials).toBeUndefined();
    const virtualHost = storageFromEnv({
      RADTRACK_STORAGE: "s3://scans",
      AWS_ENDPOINT_URL_S3: "https://s3.example.org",
      RADTRACK_S3_FORCE_PATH_STYLE: "0",
    });
    expect(virtualHost).toMatchObject({ endpoint: "https://s3.example.org", forcePathStyle: false });
  });

  it("refuses what it cannot use, naming the variable", () => {
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "/mnt/scans" })).toThrow(/RADTRACK_STORAGE must be/);
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "s3://Bad_Bucket" })).toThrow(/not a valid bucket name/);
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "s3://scans/a/../b" })).toThrow(/prefix/);
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "s3://scans/a//b" })).toThrow(/prefix/);
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "s3://scans", RADTRACK_S3_SSE: "rot13" })).toThrow(
      /RADTRACK_S3_SSE/,
    );
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "s3://scans", AWS_ACCESS_KEY_ID: "only-one" })).toThrow(
      /AWS_SECRET_ACCESS_KEY/,
    );
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "s3://scans", AWS_ENDPOINT_URL: "minio:9000" })).toThrow(
      /AWS_ENDPOINT_URL/,
    );
    expect(() => storageFromEnv({ RADTRACK_STORAGE: "s3://scans", RADTRACK_S3_FORCE_PATH_STYLE: "yes" })).toThrow(
      /RADTRACK_S3_FORCE_PATH_STYLE/,
    );
  });
});

describe("patient scoping", () => {
  it("is open unless RADTRACK_PATIENT_SCOPING asks for care teams, and a break-the-glass grant lasts an hour", () => {
    expect(loadConfig({ NODE_ENV: "test" }, "/srv").patientScoping).toBe("open");
    expect(loadConfig({ NODE_ENV: "test" }, "/srv").breakGlassMinutes).toBe(60);
    const scoped = loadConfig({ NODE_ENV: "test", RADTRACK_PATIENT_SCOPING: "care-team" }, "/srv");
    expect(scoped.patientScoping).toBe("care-team");
    expect(loadConfig({ NODE_ENV: "test", RADTRACK_BREAK_GLASS_MINUTES: "15" }, "/srv").breakGlassMinutes).toBe(15);
  });

  it("refuses a mode it does not know rather than falling back to open", () => {
    expect(() => loadConfig({ NODE_ENV: "test", RADTRACK_PATIENT_SCOPING: "team" }, "/srv")).toThrow(
      /RADTRACK_PATIENT_SCOPING/,
    );
    expect(() => loadConfig({ NODE_ENV: "test", RADTRACK_BREAK_GLASS_MINUTES: "0" }, "/srv")).toThrow(
      /RADTRACK_BREAK_GLASS_MINUTES/,
    );
  });
});
