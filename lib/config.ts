// One place that reads the environment. Scripts and the server read the same variables the same way, so two
// instances with two data directories can run side by side.
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_POLICY, type DriftPolicy } from "@/lib/drift/trend";
import { EmbeddingConfigError } from "@/lib/embedding/errors";
import { resolveModelDir } from "@/lib/embedding/model-location";
import { parseRequestedProvider, type RequestedProvider } from "@/lib/embedding/provider-names";
import type { S3StorageSettings } from "@/lib/storage/s3-blob-store";

/** Where scans and bulk files live: the data directory, or an S3-compatible bucket shared by several machines. */
export type StorageConfig = { kind: "local" } | ({ kind: "s3" } & S3StorageSettings);

export interface RadtrackConfig {
  /** Absent: the embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  /** The schema owner's connection for migrations, when the application's role (DATABASE_URL) is another one. */
  migrationDatabaseUrl: string | undefined;
  dataDir: string;
  port: number;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** Idle sessions end after this many seconds without a request. */
  idleTimeoutSeconds: number;
  /** Sessions end this many seconds after login, active or not. */
  sessionMaxAgeSeconds: number;
  /** The chest X-ray corpus used for the reference library and demo data, when present. */
  corpusDir: string | undefined;
  /** Folder holding shared read-only assets (models, corpus) when laid out beside the project. */
  sharedDir: string;
  storage: StorageConfig;
  /** "open": every clinician reads every patient (the default); "care-team": only their teams' patients, others
   * after a stated reason (break the glass). */
  patientScoping: PatientScoping;
  /** How long a break-the-glass reason opens a patient outside the clinician's care teams. */
  breakGlassMinutes: number;
  /** The PACS Radtrack polls over DICOMweb, when RADTRACK_DICOMWEB_URL is set (else: none, or the admin page's). */
  dicomweb: DicomwebConfig | undefined;
  /** An unknown PatientID from the PACS creates the patient (true) or waits for an admin (false, the default). */
  pacsCreatePatients: boolean;
  /** The hospital's own IssuerOfPatientID: a PatientID from another issuer never matches an MRN by itself. */
  pacsIssuer: string | undefined;
  /** The care team (by name) that patients created from PACS files join; none when absent. */
  pacsCareTeam: string | undefined;
  /** The DICOM C-STORE receiver (lib/dimse), when RADTRACK_DIMSE_PORT is set; off otherwise. */
  dimse: DimseConfig | undefined;
}

export interface DimseConfig {
  port: number;
  /** The AE title senders must call (RADTRACK_DIMSE_AE_TITLE, default RADTRACK). */
  aeTitle: string;
}

const AE_TITLE = /^[\x20-\x5b\x5d-\x7e]{1,16}$/;

/** RADTRACK_DIMSE_PORT and RADTRACK_DIMSE_AE_TITLE; undefined when the port is not set. */
export function dimseFromEnv(env: Env): DimseConfig | undefined {
  if (!env.RADTRACK_DIMSE_PORT) return undefined;
  const port = intFromEnv("RADTRACK_DIMSE_PORT", 0, env);
  if (port > 65_535)
    throw new Error(`RADTRACK_DIMSE_PORT must be a TCP port (1-65535), got "${env.RADTRACK_DIMSE_PORT}"`);
  const aeTitle = (env.RADTRACK_DIMSE_AE_TITLE ?? "").trim() || "RADTRACK";
  if (!AE_TITLE.test(aeTitle)) {
    throw new Error(`RADTRACK_DIMSE_AE_TITLE must be 1 to 16 characters without a backslash, got "${aeTitle}"`);
  }
  return { port, aeTitle };
}

export const PATIENT_SCOPINGS = ["open", "care-team"] as const;
export type PatientScoping = (typeof PATIENT_SCOPINGS)[number];

function scopingFromEnv(env: Env): PatientScoping {
  const raw = env.RADTRACK_PATIENT_SCOPING ?? "";
  if (raw === "") return "open";
  const known = PATIENT_SCOPINGS.find((s) => s === raw);
  if (!known) throw new Error(`RADTRACK_PATIENT_SCOPING must be "open" or "care-team", got "${raw}"`);
  return known;
}

export type DicomwebAuth =
  { kind: "none" } | { kind: "basic"; username: string; password: string } | { kind: "bearer"; token: string };

export interface DicomwebConfig {
  /** The DICOMweb root, e.g. http://orthanc:8042/dicom-web (no trailing slash). */
  url: string;
  auth: DicomwebAuth;
  pollSeconds: number;
  /** Modalities asked for with QIDO-RS (CR and DX: radiographs). */
  modalities: string[];
  /** When not empty: only instances whose file names one of these source AE titles (0002,0016). */
  aeTitles: string[];
  /** When not empty: only instances whose InstitutionName is one of these (case-insensitive). */
  institutions: string[];
  /** Store each assessed film's result back into this PACS as a DICOM SR (STOW-RS); off by default. */
  sendResults: boolean;
}

function intFromEnv(name: string, fallback: number, env: Env): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  }
  return value;
}

type Env = Readonly<Record<string, string | undefined>>;

function flagFromEnv(name: string, fallback: boolean, env: Env): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (raw === "1" || raw === "true") return true;
  if (raw === "0" || raw === "false") return false;
  throw new Error(`${name} must be 1 or 0, got "${raw}"`);
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** RADTRACK_STORAGE=s3://bucket/prefix with the AWS SDK's usual variables; absent or "local": the data directory. */
export function storageFromEnv(env: Env): StorageConfig {
  const raw = env.RADTRACK_STORAGE ?? "";
  if (raw === "" || raw === "local") return { kind: "local" };
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  if (!match) throw new Error(`RADTRACK_STORAGE must be "local" or s3://bucket/prefix, got "${raw}"`);
  const bucket = match[1]!;
  if (!BUCKET.test(bucket)) throw new Error(`RADTRACK_STORAGE: "${bucket}" is not a valid bucket name`);
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix.split("/").some((part) => (part === "" ? prefix !== "" : !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(part)))) {
    throw new Error(`RADTRACK_STORAGE: the prefix "${prefix}" may hold letters, digits, ".", "_", "-" and "/" only`);
  }
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) {
    throw new Error(`AWS_ENDPOINT_URL must be an http(s) URL, got "${endpoint}"`);
  }
  const sse = env.RADTRACK_S3_SSE || undefined;
  if (sse !== undefined && sse !== "AES256" && sse !== "aws:kms") {
    throw new Error(`RADTRACK_S3_SSE must be AES256 or aws:kms, got "${sse}"`);
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || undefined;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error("Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (the SDK's default chain)");
  }
  return {
    kind: "s3",
    bucket,
    prefix: prefix ? `${prefix}/` : "",
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    endpoint,
    // Self-hosted servers (MinIO) are reached by path; AWS by virtual host.
    forcePathStyle: flagFromEnv("RADTRACK_S3_FORCE_PATH_STYLE", Boolean(endpoint), env),
    serverSideEncryption: sse,
    kmsKeyId: env.RADTRACK_S3_KMS_KEY_ID || undefined,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined }
        : undefined,
  };
}

const list = (raw: string | undefined) =>
  (raw ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean);

/** RADTRACK_DICOMWEB_URL and its companions; undefined when the URL is not set. */
export function dicomwebFromEnv(env: Env): DicomwebConfig | undefined {
  const raw = env.RADTRACK_DICOMWEB_URL ?? "";
  if (raw === "") return undefined;
  return parseDicomwebSettings({
    url: raw,
    username: env.RADTRACK_DICOMWEB_USERNAME,
    password: env.RADTRACK_DICOMWEB_PASSWORD,
    token: env.RADTRACK_DICOMWEB_TOKEN,
    pollSeconds: env.RADTRACK_DICOMWEB_POLL_SECONDS,
    modalities: env.RADTRACK_DICOMWEB_MODALITIES,
    aeTitles: env.RADTRACK_DICOMWEB_AE_TITLES,
    institutions: env.RADTRACK_DICOMWEB_INSTITUTIONS,
    sendResults: flagFromEnv("RADTRACK_DICOMWEB_SEND_RESULTS", false, env),
  });
}

/** The same rules for the environment and the admin page; throws with a message naming the bad setting. */
export function parseDicomwebSettings(raw: {
  url: string;
  username?: string;
  password?: string;
  token?: string;
  pollSeconds?: string;
  modalities?: string;
  aeTitles?: string;
  institutions?: string;
  sendResults?: boolean;
}): DicomwebConfig {
  let url: URL;
  try {
    url = new URL(raw.url);
  } catch {
    throw new Error(`RADTRACK_DICOMWEB_URL must be an http(s) URL, got "${raw.url}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`RADTRACK_DICOMWEB_URL must be an http(s) URL, got "${raw.url}"`);
  }
  if (url.username || url.password) {
    throw new Error("RADTRACK_DICOMWEB_URL must not hold credentials: use RADTRACK_DICOMWEB_USERNAME/PASSWORD");
  }
  const username = raw.username || undefined;
  const password = raw.password || undefined;
  const token = raw.token || undefined;
  if (Boolean(username) !== Boolean(password)) {
    throw new Error("Set both RADTRACK_DICOMWEB_USERNAME and RADTRACK_DICOMWEB_PASSWORD, or neither");
  }
  if (username && token) throw new Error("Set RADTRACK_DICOMWEB_TOKEN or a username and password, not both");
  const auth: DicomwebAuth = token
    ? { kind: "bearer", token }
    : username && password
      ? { kind: "basic", username, password }
      : { kind: "none" };
  const modalities = list(raw.modalities).map((m) => m.toUpperCase());
  const allowed = ["CR", "DX"];
  const bad = modalities.find((m) => !allowed.includes(m));
  if (bad) throw new Error(`RADTRACK_DICOMWEB_MODALITIES may name CR and DX only (chest radiographs), got "${bad}"`);
  const aeTitles = list(raw.aeTitles);
  const badAe = aeTitles.find((ae) => !/^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(ae));
  if (badAe !== undefined) throw new Error(`RADTRACK_DICOMWEB_AE_TITLES: "${badAe}" is not an AE title`);
  return {
    url: url.toString().replace(/\/+$/, ""),
    auth,
    pollSeconds: intFromEnv("RADTRACK_DICOMWEB_POLL_SECONDS", 60, { RADTRACK_DICOMWEB_POLL_SECONDS: raw.pollSeconds }),
    modalities: modalities.length ? modalities : allowed,
    aeTitles,
    institutions: list(raw.institutions),
    sendResults: raw.sendResults ?? false,
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): RadtrackConfig {
  const sharedDir = path.resolve(cwd, env.RADTRACK_SHARED_DIR ?? "../shared");
  const defaultCorpus = path.join(sharedDir, "data", "cxr");
  const corpusDir = env.RADTRACK_CORPUS_DIR
    ? path.resolve(cwd, env.RADTRACK_CORPUS_DIR)
    : existsSync(defaultCorpus)
      ? defaultCorpus
      : undefined;
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    migrationDatabaseUrl: env.RADTRACK_MIGRATION_DATABASE_URL || undefined,
    dataDir: path.resolve(cwd, env.RADTRACK_DATA_DIR ?? ".data"),
    port: intFromEnv("PORT", 3000, env),
    adminEmail: env.RADTRACK_ADMIN_EMAIL || undefined,
    adminPassword: env.RADTRACK_ADMIN_PASSWORD || undefined,
    idleTimeoutSeconds: intFromEnv("RADTRACK_IDLE_TIMEOUT_MINUTES", 30, env) * 60,
    sessionMaxAgeSeconds: intFromEnv("RADTRACK_SESSION_MAX_HOURS", 12, env) * 3600,
    corpusDir,
    sharedDir,
    storage: storageFromEnv(env),
    patientScoping: scopingFromEnv(env),
    breakGlassMinutes: intFromEnv("RADTRACK_BREAK_GLASS_MINUTES", 60, env),
    dicomweb: dicomwebFromEnv(env),
    pacsCreatePatients: flagFromEnv("RADTRACK_PACS_CREATE_PATIENTS", false, env),
    pacsIssuer: env.RADTRACK_PACS_ISSUER?.trim() || undefined,
    pacsCareTeam: env.RADTRACK_PACS_CARE_TEAM?.trim() || undefined,
    dimse: dimseFromEnv(env),
  };
}

// Settings read on every call rather than cached: tests and scripts set these variables while the process runs.

/**
 * How long a request may wait on the database before it is answered 503 (lib/db/availability.ts): to connect (or get
 * a pooled connection), for one statement (server side), and for a row or table lock. A paused or unreachable
 * server otherwise holds pages, API calls and uploads for as long as it is away.
 */
export interface DatabaseTimeouts {
  connectMs: number;
  statementMs: number;
  lockMs: number;
  /** Client side: a server that stopped answering altogether (no statement timeout can fire there). */
  readMs: number;
}

export function databaseTimeouts(env: Env = process.env): DatabaseTimeouts {
  const connectMs = intFromEnv("RADTRACK_DB_CONNECT_TIMEOUT_MS", 5_000, env);
  const statementMs = intFromEnv("RADTRACK_DB_STATEMENT_TIMEOUT_MS", 15_000, env);
  const lockMs = intFromEnv("RADTRACK_DB_LOCK_TIMEOUT_MS", 5_000, env);
  // A little longer than the statement timeout, so that a live server's own cancellation (a clean error) comes first.
  return { connectMs, statementMs, lockMs, readMs: statementMs + 2_000 };
}

/** The application's database; absent until `npm start` (or a test) has started one. */
export function databaseUrl(env: Env = process.env): string | undefined {
  return env.DATABASE_URL || undefined;
}

/** Whether this process runs the background workers (RADTRACK_BULK_WORKER=0: a web server only). */
export function workersEnabled(env: Env = process.env): boolean {
  return env.RADTRACK_BULK_WORKER !== "0";
}

function positiveFromEnv(name: string, fallback: number, env: Env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

/** One image's bounds, for single uploads and for every file of a bulk upload. */
export function uploadLimits(env: Env = process.env): { maxBytes: number; maxPixels: number } {
  const mb = Number(env.RADTRACK_MAX_UPLOAD_MB ?? 50);
  const mpx = Number(env.RADTRACK_MAX_MEGAPIXELS ?? 50);
  return { maxBytes: Math.round(mb * 1024 * 1024), maxPixels: Math.round(mpx * 1_000_000) };
}

/** The configurable bounds of one bulk upload (lib/bulk/limits.ts adds the fixed ones). */
export function bulkUploadSettings(env: Env = process.env) {
  return {
    maxTotalBytes: Math.round(positiveFromEnv("RADTRACK_BULK_MAX_MB", 2048, env) * 1024 * 1024),
    maxFiles: Math.round(positiveFromEnv("RADTRACK_BULK_MAX_FILES", 5000, env)),
    maxRatio: positiveFromEnv("RADTRACK_BULK_MAX_RATIO", 100, env),
  };
}

export function driftPolicyFromEnv(env: Env = process.env): DriftPolicy {
  const num = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new Error(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
    }
    return value;
  };
  return {
    window: Math.round(num("RADTRACK_TREND_WINDOW", DEFAULT_POLICY.window, 2, 50)),
    slopePerWeek: num("RADTRACK_TREND_SLOPE_PER_WEEK", DEFAULT_POLICY.slopePerWeek, 0, 1),
    alertRise: num("RADTRACK_ALERT_RISE", DEFAULT_POLICY.alertRise, 0, 1),
  };
}

/** Reads RADTRACK_REFERENCE_INCLUDE_PEDIATRIC: "1" / "true" / "yes" include pediatric films. */
export function includePediatricFromEnv(env: Env = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.RADTRACK_REFERENCE_INCLUDE_PEDIATRIC?.trim() ?? "");
}

let cached: RadtrackConfig | undefined;
export function config(): RadtrackConfig {
  cached ??= loadConfig();
  return cached;
}

/** How the embedder runs (lib/embedding): the server, the scripts and the benchmarks read the same variables. */
export interface EmbeddingSettings {
  /** RADTRACK_MODEL_DIR, resolved against the working directory. */
  modelDir: string;
  /** Expands ${sharedDir} in model.json searchDirs. */
  sharedDir: string;
  provider: RequestedProvider;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  /** Most images per inference call. */
  batchSize: number;
  /** Most images admitted (queued or running) at once; further callers wait. */
  maxPending: number;
  /** Most callers allowed to wait for admission; beyond it requests are refused (back-pressure). */
  maxWaiting: number;
  /** Run inference in a worker thread (EMBED_INFERENCE_THREAD, default 1), keeping the main thread responsive. */
  inferenceThread: boolean;
  /**
   * On the CPU provider, run the model's int8 copy (lib/embedding/quantized.ts) when one names it as its float model
   * (EMBED_INT8=1). Off by default: its held-out figures miss the 0.01 bar by a little (model card).
   */
  int8: boolean;
}

// A wrong embedding setting is an EmbeddingConfigError, which the launcher and the admin page report as a
// misconfiguration rather than a crash.
function embedInt(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new EmbeddingConfigError(`${name} must be a whole number from 1 to ${max}; got "${raw}"`);
  }
  return value;
}

function embedFlag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new EmbeddingConfigError(`${name} must be 1 or 0; got "${env[name]}"`);
}

export function embeddingFromEnv(env: Env, sharedDir: string, cwd: string = process.cwd()): EmbeddingSettings {
  const batchSize = embedInt(env, "EMBED_BATCH", 16, 256);
  const maxPending = embedInt(env, "EMBED_MAX_PENDING", batchSize * 4, 100_000);
  if (maxPending < batchSize) {
    throw new EmbeddingConfigError(`EMBED_MAX_PENDING (${maxPending}) must be at least EMBED_BATCH (${batchSize})`);
  }
  return {
    modelDir: resolveModelDir(env, cwd),
    sharedDir,
    provider: parseRequestedProvider(env.EMBED_PROVIDER),
    threads: embedInt(env, "EMBED_THREADS", os.availableParallelism(), 1024),
    batchSize,
    maxPending,
    maxWaiting: embedInt(env, "EMBED_MAX_WAITING", 1024, 1_000_000),
    inferenceThread: embedFlag(env, "EMBED_INFERENCE_THREAD", true),
    int8: embedFlag(env, "EMBED_INT8", false),
  };
}
