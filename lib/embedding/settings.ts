// The embedder's settings: read by lib/config.ts (the one place that reads the environment); this module keeps the
// call that the server, scripts and benchmarks use, with an explicit environment for tests and tools.
import { config, embeddingFromEnv, loadConfig, type EmbeddingSettings } from "../config";

export type { EmbeddingSettings } from "../config";

/** Plain string map: Next's typings make NODE_ENV mandatory on ProcessEnv, which tests and scripts do not need. */
export type EnvLike = Readonly<Record<string, string | undefined>>;

/** Without arguments: process.env and the cached app config. */
export function embeddingSettings(env?: EnvLike, cwd: string = process.cwd()): EmbeddingSettings {
  const sharedDir = env ? loadConfig({ ...env, NODE_ENV: process.env.NODE_ENV }, cwd).sharedDir : config().sharedDir;
  return embeddingFromEnv(env ?? process.env, sharedDir, cwd);
}
