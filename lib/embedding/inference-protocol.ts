// Messages between the main thread and the inference thread.
import type { QuantizedGraph } from "./engine";
import type { ModelDescriptor } from "./model-contract";
import type { ExecutionProvider } from "./providers";

export interface SerialisedError {
  name: string;
  message: string;
}

export interface EngineInfo {
  descriptor: ModelDescriptor;
  modelDir: string;
  onnxPath: string;
  quantized: QuantizedGraph | null;
  provider: ExecutionProvider;
  fallbackReason: string | undefined;
  sessionCreatedAt: string;
  /** null: the graph takes any batch size. */
  maxBatch: number | null;
}

export type ToWorker = { type: "infer"; id: number; input: Float32Array; count: number } | { type: "release" };

export type FromWorker =
  | { type: "log"; level: "info" | "warn"; message: string }
  | { type: "ready"; info: EngineInfo }
  | { type: "failed"; error: SerialisedError }
  | { type: "result"; id: number; vectors: Float32Array[] }
  | { type: "error"; id: number; error: SerialisedError }
  // From the bootstrap (inference-thread.ts), when tsx or the worker module could not be loaded.
  | { type: "boot-failed"; error: SerialisedError };
