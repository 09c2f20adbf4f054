// Embedding settings from the environment, read in one place so the server, scripts and the benchmark agree.
import os from "node:os";
import { config, loadConfig } from "../config";
import { EmbeddingConfigError } from "./errors";
import { resolveModelDir } from "./model-dir";
import { parseRequestedProvider, type RequestedProvider } from "./providers";

export interface EmbeddingSettings {
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
   * On the CPU provider, run the model's int8 copy (quantized.ts) when one names it as its float model
   * (EMBED_INT8=1). Off by default: its held-out figures miss the 0.01 bar by a little (model card).
   */
  int8: boolean;
}

function intSetting(env: EnvLike, name: string, fallback: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new EmbeddingConfigError(`${name} must be a whole number from 1 to ${max}; got "${raw}"`);
  }
  return value;
}

function flagSetting(env: EnvLike, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new EmbeddingConfigError(`${name} must be 1 or 0; got "${env[name]}"`);
}

/** Plain string map: Next's typings make NODE_ENV mandatory on ProcessEnv, which tests and scripts do not need. */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/** Without arguments: process.env and the cached app config. */
export function embeddingSettings(env?: EnvLike, cwd: string = process.cwd()): EmbeddingSettings {
  const source = env ?? process.env;
  const sharedDir = env ? loadConfig({ ...env, NODE_ENV: process.env.NODE_ENV }, cwd).sharedDir : config().sharedDir;
  const batchSize = intSetting(source, "EMBED_BATCH", 16, 256);
  const maxPending = intSetting(source, "EMBED_MAX_PENDING", batchSize * 4, 100_000);
  if (maxPending < batchSize) {
    throw new EmbeddingConfigError(`EMBED_MAX_PENDING (${maxPending}) must be at least EMBED_BATCH (${batchSize})`);
  }
  return {
    modelDir: resolveModelDir(source, cwd),
    sharedDir,
    provider: parseRequestedProvider(source.EMBED_PROVIDER),
    threads: intSetting(source, "EMBED_THREADS", os.availableParallelism(), 1024),
    batchSize,
    maxPending,
    maxWaiting: intSetting(source, "EMBED_MAX_WAITING", 1024, 1_000_000),
    inferenceThread: flagSetting(source, "EMBED_INFERENCE_THREAD", true),
    int8: flagSetting(source, "EMBED_INT8", false),
  };
}
