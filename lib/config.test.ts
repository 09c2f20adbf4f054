import { describe, expect, it } from "vitest";
import { dicomwebFromEnv, loadConfig, storageFromEnv } from "./config";

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

describe("PACS (DICOMweb) configuration", () => {
  it("is off without RADTRACK_DICOMWEB_URL; with it, CR and DX every 60 s unless told otherwise", () => {
    expect(dicomwebFromEnv({})).toBeUndefined();
    expect(loadConfig({ NODE_ENV: "test" }, "/srv")).toMatchObject({
      pacsCreatePatients: false,
      pacsCareTeam: undefined,
    });
    expect(dicomwebFromEnv({ RADTRACK_DICOMWEB_URL: "http://orthanc:8042/dicom-web/" })).toEqual({
      url: "http://orthanc:8042/dicom-web",
      auth: { kind: "none" },
      pollSeconds: 60,
      modalities: ["CR", "DX"],
      aeTitles: [],
      institutions: [],
      sendResults: false,
    });
    expect(
      dicomwebFromEnv({
        RADTRACK_DICOMWEB_URL: "https://pacs.example.org/dicom-web",
        RADTRACK_DICOMWEB_USERNAME: "radtrack",
        RADTRACK_DICOMWEB_PASSWORD: "s3cret",
        RADTRACK_DICOMWEB_POLL_SECONDS: "15",
        RADTRACK_DICOMWEB_MODALITIES: "dx",
        RADTRACK_DICOMWEB_AE_TITLES: "CR1, DR_ROOM2",
        RADTRACK_DICOMWEB_INSTITUTIONS: "General Hospital",
        RADTRACK_DICOMWEB_SEND_RESULTS: "true",
      }),
    ).toMatchObject({
      auth: { kind: "basic", username: "radtrack", password: "s3cret" },
      pollSeconds: 15,
      modalities: ["DX"],
      aeTitles: ["CR1", "DR_ROOM2"],
      institutions: ["General Hospital"],
      sendResults: true,
    });
    expect(
      loadConfig(
        {
          NODE_ENV: "test",
          RADTRACK_PACS_CREATE_PATIENTS: "true",
          RADTRACK_PACS_ISSUER: " HOSP ",
          RADTRACK_PACS_CARE_TEAM: " Ward 7 ",
        },
        "/srv",
      ),
    ).toMatchObject({ pacsCreatePatients: true, pacsIssuer: "HOSP", pacsCareTeam: "Ward 7" });
  });

  it("refuses what it cannot use, naming the variable", () => {
    const url = "http://orthanc:8042/dicom-web";
    expect(() => dicomwebFromEnv({ RADTRACK_DICOMWEB_URL: "orthanc:8042" })).toThrow(/RADTRACK_DICOMWEB_URL/);
    expect(() => dicomwebFromEnv({ RADTRACK_DICOMWEB_URL: "http://u:p@orthanc/dicom-web" })).toThrow(/credentials/);
    expect(() => dicomwebFromEnv({ RADTRACK_DICOMWEB_URL: url, RADTRACK_DICOMWEB_USERNAME: "u" })).toThrow(
      /RADTRACK_DICOMWEB_PASSWORD/,
    );
    expect(() => dicomwebFromEnv({ RADTRACK_DICOMWEB_URL: url, RADTRACK_DICOMWEB_MODALITIES: "CT" })).toThrow(
      /CR and DX only/,
    );
    expect(() => dicomwebFromEnv({ RADTRACK_DICOMWEB_URL: url, RADTRACK_DICOMWEB_POLL_SECONDS: "0" })).toThrow(
      /RADTRACK_DICOMWEB_POLL_SECONDS/,
    );
    expect(() => dicomwebFromEnv({ RADTRACK_DICOMWEB_URL: url, RADTRACK_DICOMWEB_SEND_RESULTS: "on" })).toThrow(
      /RADTRACK_DICOMWEB_SEND_RESULTS/,
    );
    expect(() => loadConfig({ NODE_ENV: "test", RADTRACK_PACS_CREATE_PATIENTS: "yes" }, "/srv")).toThrow(
      /RADTRACK_PACS_CREATE_PATIENTS/,
    );
  });
});
