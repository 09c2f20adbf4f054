// The inside of the inference thread (inference-thread.ts): opens the one engine of the process here, so that
// onnxruntime's synchronous `session.run` (onnxruntime issues #19611, #26968) blocks this thread instead of the
// main one, which meanwhile keeps serving requests, the embedded database and the sharp work of the next batch.
import { parentPort, workerData } from "node:worker_threads";
import { openEmbeddingEngine, type EmbeddingEngine, type EngineOptions } from "./engine";
import type { FromWorker, ToWorker } from "./inference-protocol";

const port = parentPort;
if (!port) throw new Error("inference-worker.ts runs only as a worker thread");

const options = workerData as Omit<EngineOptions, "log">;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const serialise = (error: unknown) =>
  error instanceof Error ? { name: error.name, message: error.message } : { name: "Error", message: String(error) };

let engine: EmbeddingEngine | undefined;
try {
  engine = await openEmbeddingEngine({
    ...options,
    log: {
      info: (message) => post({ type: "log", level: "info", message }),
      warn: (message) => post({ type: "log", level: "warn", message }),
    },
  });
  post({
    type: "ready",
    info: {
      descriptor: engine.descriptor,
      modelDir: engine.modelDir,
      onnxPath: engine.onnxPath,
      quantized: engine.quantized,
      provider: engine.provider,
      fallbackReason: engine.fallbackReason,
      sessionCreatedAt: engine.sessionCreatedAt.toISOString(),
      maxBatch: Number.isFinite(engine.maxBatch) ? engine.maxBatch : null,
    },
  });
} catch (error) {
  post({ type: "failed", error: serialise(error) });
}

port.on("message", (message: ToWorker) => {
  if (message.type === "release") {
    // Closing the port lets the thread end; the main side waits for its exit.
    void (engine?.release() ?? Promise.resolve()).finally(() => port.close());
    return;
  }
  const { id, input, count } = message;
  // One run at a time: the main side sends the next batch only after this one answered.
  void (async () => {
    try {
      if (!engine) throw new Error("the inference engine did not open");
      const vectors = await engine.infer(input, count);
      post(
        { type: "result", id, vectors },
        vectors.map((v) => v.buffer as ArrayBuffer),
      );
    } catch (error) {
      post({ type: "error", id, error: serialise(error) });
    }
  })();
});
