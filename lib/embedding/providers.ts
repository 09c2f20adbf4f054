// Execution provider choice. A GPU provider that cannot start (no adapter, no CUDA libraries) must degrade to
// the CPU with a visible reason, never take the app down and never produce vectors from a half-working backend.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { InferenceSession, listSupportedBackends } from "onnxruntime-node";
import { EmbeddingConfigError, EmbeddingEngineError, errorMessage } from "./errors";
import type { ExecutionProvider, RequestedProvider } from "./provider-names";

export {
  REQUESTABLE_PROVIDERS,
  parseRequestedProvider,
  type ExecutionProvider,
  type RequestedProvider,
} from "./provider-names";

const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ["cuda", "webgpu", "cpu"];

export interface EmbeddingLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface BackendInfo {
  name: string;
  bundled: boolean;
}

/**
 * The binding lists cuda even when its libraries were never installed (they come only with
 * ONNXRUNTIME_NODE_INSTALL=cuda12); trying it then costs an ONNX Runtime error on stderr. Look for the provider
 * library beside the binding; if the package cannot be located, say yes and let session creation decide.
 */
export function cudaLibraryPresent(): boolean {
  try {
    const require = createRequire(path.join(process.cwd(), "package.json"));
    const main = require.resolve("onnxruntime-node");
    const binDir = path.join(path.dirname(main), "..", "bin", "napi-v6", process.platform, process.arch);
    const lib = process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
    return existsSync(path.join(binDir, lib));
  } catch {
    return true;
  }
}

/** Providers to try, best first; cpu is always last so there is always an answer. */
export function providerCandidates(
  requested: RequestedProvider,
  backends: readonly BackendInfo[] = listSupportedBackends(),
  hasCudaLibrary: () => boolean = cudaLibraryPresent,
): ExecutionProvider[] {
  if (requested === "cpu") return ["cpu"];
  if (requested !== "auto") return [requested, "cpu"];
  const listed = (name: string) => backends.find((b) => b.name === name);
  const out: ExecutionProvider[] = [];
  const cuda = listed("cuda");
  if (cuda && (cuda.bundled || hasCudaLibrary())) out.push("cuda");
  if (listed("webgpu")) out.push("webgpu");
  out.push("cpu");
  return out;
}

export interface SessionChoice {
  session: InferenceSession;
  provider: ExecutionProvider;
  /** The graph the session runs (modelPathFor's answer for `provider`). */
  modelPath: string;
  /** Why a better provider was not used; absent when the first candidate worked. */
  fallbackReason?: string;
}

export interface OpenSessionOptions {
  modelPath: string;
  /** The graph for one provider (an int8 copy on the CPU: quantized.ts); default: `modelPath` for every provider. */
  modelPathFor?: (provider: ExecutionProvider) => string;
  /** Said after the provider in its info line (which graph runs), when there is something to say. */
  modelNote?: (provider: ExecutionProvider) => string | undefined;
  requested: RequestedProvider;
  threads: number;
  /** Runs one inference and checks the result; a throw here counts as the provider failing. */
  probe(session: InferenceSession): Promise<void>;
  log: EmbeddingLog;
  /** For tests: override the candidate list. */
  candidates?: ExecutionProvider[];
}

function sessionOptions(provider: ExecutionProvider, threads: number): InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    // One graph, one request at a time: parallel operator execution only adds contention.
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    // Warnings from ORT are noise here; real failures surface as exceptions with our own message.
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning: the cores are shared with decoding, renditions and the
    // database, and spinning took them away (bench:bulk, 300 scans: 38.3 vs 34.6 scans/s, embed-only unchanged).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
}

// ORT messages start with a source location, a function signature and the failed assertion; the useful part
// ("Failed to get a WebGPU adapter: ...") is at the end, so drop the prefix and keep the tail when trimming.
export function shortReason(error: unknown): string {
  const text = errorMessage(error)
    .replace(/\s+/g, " ")
    .replace(/^\S+\.(?:cc|cpp|h):\d+ (?:.*? was false\. )?/, "")
    .trim();
  return text.length > 300 ? `...${text.slice(-297)}` : text;
}

/** Set by the launcher (scripts/start.ts) for the processes it starts, once it has chosen a provider itself. */
export const INHERITED_PROVIDER_ENV = "RADTRACK_EMBED_CHOSEN";

export interface InheritedChoice {
  requested: RequestedProvider;
  provider: ExecutionProvider;
  fallbackReason: string;
}

/** The environment that hands a fallback already found to child processes. */
export function inheritedChoiceEnv(choice: InheritedChoice): Record<string, string> {
  return { [INHERITED_PROVIDER_ENV]: JSON.stringify(choice) };
}

/**
 * A fallback the launcher already found and printed, for the same request: the server and the background process
 * start on that provider at once, with the same reason on their status, instead of probing the GPU libraries (and
 * printing the fallback and the native libraries' warnings) once per process.
 */
export function inheritedChoice(
  requested: RequestedProvider,
  env: Readonly<Record<string, string | undefined>> = process.env,
): InheritedChoice | null {
  const raw = env[INHERITED_PROVIDER_ENV];
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as { requested?: unknown; provider?: unknown; fallbackReason?: unknown };
    const provider = EXECUTION_PROVIDERS.find((p) => p === parsed.provider);
    if (parsed.requested !== requested || !provider || typeof parsed.fallbackReason !== "string") return null;
    return { requested, provider, fallbackReason: parsed.fallbackReason };
  } catch {
    return null;
  }
}

export async function openSessionWithFallback(options: OpenSessionOptions): Promise<SessionChoice> {
  const inherited = options.candidates ? null : inheritedChoice(options.requested);
  const pathFor = options.modelPathFor ?? (() => options.modelPath);
  if (inherited) {
    // Should the inherited provider fail here after all, the full list is tried (and reported) below.
    try {
      const modelPath = pathFor(inherited.provider);
      const session = await InferenceSession.create(modelPath, sessionOptions(inherited.provider, options.threads));
      try {
        await options.probe(session);
        return { session, provider: inherited.provider, modelPath, fallbackReason: inherited.fallbackReason };
      } catch (error) {
        await session.release().catch(() => undefined);
        if (inherited.provider === "cpu" || error instanceof EmbeddingConfigError) throw error;
      }
    } catch (error) {
      if (error instanceof EmbeddingConfigError) throw error;
    }
  }
  const candidates = options.candidates ?? providerCandidates(options.requested);
  const failures: string[] = [];
  for (const provider of candidates) {
    let session: InferenceSession | undefined;
    const modelPath = pathFor(provider);
    try {
      session = await InferenceSession.create(modelPath, sessionOptions(provider, options.threads));
    } catch (error) {
      failures.push(`${provider}: session creation failed: ${shortReason(error)}`);
      continue;
    }
    try {
      await options.probe(session);
    } catch (error) {
      await session.release().catch(() => undefined);
      // A contract violation on the CPU is a broken model, not a provider problem: report it as such.
      if (provider === "cpu" || error instanceof EmbeddingConfigError) throw error;
      failures.push(`${provider}: first inference failed: ${shortReason(error)}`);
      continue;
    }
    const fallbackReason = failures.length > 0 ? failures.join("; ") : undefined;
    if (fallbackReason) {
      options.log.warn(`[embedding] EMBED_PROVIDER=${options.requested}: using ${provider} (${fallbackReason})`);
    }
    const note = options.modelNote?.(provider);
    options.log.info(
      `[embedding] execution provider: ${provider} (requested ${options.requested}, ${options.threads} threads` +
        `${note ? `; ${note}` : ""})`,
    );
    return { session, provider, modelPath, fallbackReason };
  }
  throw new EmbeddingEngineError(`no execution provider could run ${options.modelPath}: ${failures.join("; ")}`);
}
