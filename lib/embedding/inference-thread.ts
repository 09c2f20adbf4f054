// The embedding engine behind a worker thread. onnxruntime-node runs `session.run` synchronously on the calling
// thread (onnxruntime issues #19611, #26968): on the main thread a batch of 16 stops the server, the embedded
// database and every I/O completion for a quarter of a second or more. Here the session lives in one worker thread
// per process (still one session, reused); the main thread only copies tensors in and vectors out.
//
// The worker is TypeScript like the rest of the app, loaded through tsx's loader. Where that cannot work (tsx or the
// worker file missing, as in a bundled benchmark) the engine opens on the calling thread instead, with a warning.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { verifySha256 } from "./checksum";
import { openEmbeddingEngine, type EmbeddingEngine, type EngineOptions } from "./engine";
import { EmbeddingConfigError, EmbeddingEngineError } from "./errors";
import type { FromWorker, SerialisedError } from "./inference-protocol";
import { loadModelFolder } from "./model-dir";

const WORKER_FILE = path.join("lib", "embedding", "inference-worker.ts");

interface TsxManifest {
  exports: { "./esm/api": { import: { default: string } } };
}

/** The worker's bootstrap (CommonJS, evaluated): tsx's loader first, then the TypeScript worker. */
function bootstrap(root: string): string | null {
  const file = path.join(root, WORKER_FILE);
  if (!existsSync(file)) return null;
  let tsxApi: string;
  try {
    // The ESM entry (require.resolve would give the CommonJS one, which cannot register the ESM loader).
    const manifest = createRequire(path.join(root, "package.json")).resolve("tsx/package.json");
    const exports = (JSON.parse(readFileSync(manifest, "utf8")) as TsxManifest).exports["./esm/api"].import.default;
    tsxApi = path.join(path.dirname(manifest), exports);
  } catch {
    return null;
  }
  const tsx = JSON.stringify(pathToFileURL(tsxApi).href);
  const worker = JSON.stringify(pathToFileURL(file).href);
  return `import(${tsx}).then((api) => { api.register(); return import(${worker}); }).catch((error) => {
    require("node:worker_threads").parentPort.postMessage({
      type: "boot-failed", error: { name: "Error", message: String(error && error.stack || error) } });
  });`;
}

function revive(error: SerialisedError): Error {
  if (error.name === "EmbeddingConfigError") return new EmbeddingConfigError(error.message);
  if (error.name === "EmbeddingEngineError") return new EmbeddingEngineError(error.message);
  const revived = new Error(error.message);
  revived.name = error.name;
  return revived;
}

/** Thrown when the thread itself could not start (not the model's or the provider's fault). */
class ThreadStartError extends Error {}

function startThread(code: string, options: EngineOptions): Promise<EmbeddingEngine> {
  const { log, ...data } = options;
  const worker = new Worker(code, { eval: true, workerData: data });
  const pending = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let broken: Error | undefined;
  // An idle thread must not keep the process alive; a thread with work in hand must.
  const settleRef = () => (pending.size > 0 ? worker.ref() : worker.unref());

  return new Promise<EmbeddingEngine>((resolve, reject) => {
    let opened = false;
    const failAll = (error: Error) => {
      broken ??= error;
      if (!opened) reject(new ThreadStartError(error.message));
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      settleRef();
    };
    worker.on("error", (error) => failAll(new EmbeddingEngineError(`inference thread failed: ${error.message}`)));
    worker.on("exit", (code) => failAll(new EmbeddingEngineError(`inference thread exited (code ${code})`)));
    worker.on("message", (message: FromWorker) => {
      switch (message.type) {
        case "log":
          if (message.level === "warn") log.warn(message.message);
          else log.info(message.message);
          return;
        case "boot-failed":
          failAll(new Error(`inference thread did not start: ${message.error.message}`));
          void worker.terminate();
          return;
        case "failed":
          // The model or every provider failed: the same answer as on the main thread, not a thread problem.
          opened = true;
          reject(revive(message.error));
          void worker.terminate();
          return;
        case "result":
        case "error": {
          const p = pending.get(message.id);
          pending.delete(message.id);
          settleRef();
          if (message.type === "result") p?.resolve(message.vectors);
          else p?.reject(revive(message.error));
          return;
        }
        case "ready": {
          opened = true;
          const info = message.info;
          const maxBatch = info.maxBatch ?? Number.POSITIVE_INFINITY;
          settleRef();
          resolve({
            descriptor: info.descriptor,
            modelDir: info.modelDir,
            onnxPath: info.onnxPath,
            quantized: info.quantized,
            provider: info.provider,
            requestedProvider: options.provider,
            fallbackReason: info.fallbackReason,
            sessionCreatedAt: new Date(info.sessionCreatedAt),
            threads: options.threads,
            maxBatch,
            thread: "worker",
            infer(input, count) {
              if (broken) return Promise.reject(broken);
              const id = nextId++;
              return new Promise<Float32Array[]>((resolveRun, rejectRun) => {
                pending.set(id, { resolve: resolveRun, reject: rejectRun });
                settleRef();
                // Cloned, not transferred: callers may reuse their tensor (the benchmark does).
                worker.postMessage({ type: "infer", id, input, count });
              });
            },
            async release() {
              if (broken) return;
              broken = new EmbeddingEngineError("the embedding engine was released");
              worker.ref();
              const exited = new Promise<void>((done) => worker.once("exit", () => done()));
              worker.postMessage({ type: "release" });
              await Promise.race([exited, new Promise<void>((done) => setTimeout(done, 5_000).unref())]);
              await worker.terminate();
            },
          });
          return;
        }
      }
    });
  });
}

/**
 * Opens the engine in a worker thread, or on this thread when the thread cannot start. The model file is checked on
 * this side first, so a wrong file fails with the same error class wherever the session ends up.
 */
export async function openThreadedEngine(options: EngineOptions, root = process.cwd()): Promise<EmbeddingEngine> {
  const folder = await loadModelFolder(options.modelDir, options.sharedDir);
  await verifySha256(folder.onnxPath, folder.descriptor.sha256);
  const code = bootstrap(root);
  if (code) {
    try {
      return await startThread(code, options);
    } catch (error) {
      if (!(error instanceof ThreadStartError)) throw error;
      options.log.warn(`[embedding] inference runs on the main thread: ${error.message}`);
    }
  } else {
    options.log.warn(`[embedding] inference runs on the main thread: ${WORKER_FILE} or tsx not found under ${root}`);
  }
  return openEmbeddingEngine(options);
}
