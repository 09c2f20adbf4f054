// Ties the pieces together: a lazily opened engine, the preprocessor its model.json describes, and one bounded
// batcher in front of it, so every request (single or list) shares the same session and the same queue.
import { BoundedBatcher, type BatcherStats } from "./batcher";
import { openEmbeddingEngine, type EmbeddingEngine, type QuantizedGraph } from "./engine";
import { openThreadedEngine } from "./inference-thread";
import { errorMessage } from "./errors";
import { unpack, type FilmAnalysis } from "./heads";
import { createPreprocessor, type Preprocessor } from "./preprocess";
import type { EmbeddingLog, ExecutionProvider, RequestedProvider } from "./providers";
import type { EmbeddingSettings } from "./settings";
import { assertGreyImage, type GreyImage } from "./types";
import type { ModelDescriptor } from "./model-contract";

export type EmbeddingStatus =
  | {
      state: "ready";
      modelId: string;
      sha256: string;
      dims: number;
      provider: ExecutionProvider;
      requestedProvider: RequestedProvider;
      fallbackReason?: string;
      /** ISO 8601. */
      sessionCreatedAt: string;
      threads: number;
      inferenceThread: "worker" | "main";
      batchSize: number;
      modelDir: string;
      onnxPath: string;
      /** The int8 copy that runs in place of the float model on the CPU, when one does. */
      quantized?: QuantizedGraph;
      queue: BatcherStats;
    }
  | {
      state: "error";
      requestedProvider?: RequestedProvider;
      modelDir?: string;
      error: string;
    };

/** What the models table needs: identity, checksum, size and the descriptor as the model card. */
export interface EmbeddingModelInfo {
  id: string;
  sha256: string;
  dims: number;
  card: ModelDescriptor;
}

export interface Embedder {
  embedImages(images: readonly GreyImage[]): Promise<Float32Array[]>;
  embedImage(image: GreyImage): Promise<Float32Array>;
  /** The embedding plus what the model's heads say (severity extent, view gate), one per image, in order. */
  analyseImages(images: readonly GreyImage[]): Promise<FilmAnalysis[]>;
  analyseImage(image: GreyImage): Promise<FilmAnalysis>;
  /** Opens the session if needed (model load, checksum, provider choice) and returns it. */
  ready(): Promise<EmbeddingEngine>;
  status(): Promise<EmbeddingStatus>;
  model(): Promise<EmbeddingModelInfo>;
  close(): Promise<void>;
}

interface Loaded {
  engine: EmbeddingEngine;
  preprocessor: Preprocessor;
}

export function createEmbedder(settings: EmbeddingSettings, log: EmbeddingLog = console): Embedder {
  let loading: Promise<Loaded> | undefined;

  function load(): Promise<Loaded> {
    const open = settings.inferenceThread ? openThreadedEngine : openEmbeddingEngine;
    loading ??= open({ ...settings, log }).then(
      (engine) => ({ engine, preprocessor: createPreprocessor(engine.descriptor) }),
      (error: unknown) => {
        // Not cached: after the configuration is fixed the next request retries instead of failing forever.
        loading = undefined;
        throw error;
      },
    );
    return loading;
  }

  async function runBatch(images: readonly GreyImage[]): Promise<Array<Float32Array | Error>> {
    const { engine, preprocessor } = await load();
    const per = preprocessor.valuesPerImage;
    const tensor = new Float32Array(per * images.length);
    const errors = await preprocessor.intoMany(images, tensor);
    const ok = errors.flatMap((e, i) => (e === undefined ? [i] : []));
    // Placeholders for the successful ones are overwritten below; failed images keep their own error.
    const results: Array<Float32Array | Error> = errors.map((e) => e ?? new Error("not embedded"));
    if (ok.length === 0) return results;
    // A failed image leaves a hole; close it up so the batch sent to the model is dense.
    let input = tensor;
    if (ok.length < images.length) {
      input = new Float32Array(per * ok.length);
      ok.forEach((src, dst) => input.set(tensor.subarray(src * per, (src + 1) * per), dst * per));
    }
    const vectors = await engine.infer(input, ok.length);
    ok.forEach((src, k) => {
      results[src] = vectors[k]!;
    });
    return results;
  }

  const batcher = new BoundedBatcher<GreyImage, Float32Array>({
    maxBatch: settings.batchSize,
    maxPending: settings.maxPending,
    maxWaiting: settings.maxWaiting,
    run: runBatch,
  });

  async function analyse(images: readonly GreyImage[]): Promise<FilmAnalysis[]> {
    images.forEach((img, i) => assertGreyImage(img, `image ${i}`));
    if (images.length === 0) return [];
    // Surface configuration errors before anything is queued.
    const { engine } = await load();
    const packed = images.length === 1 ? [await batcher.submit(images[0]!)] : await batcher.submitAll(images);
    return packed.map((p) => unpack(engine.descriptor, p));
  }

  return {
    async embedImages(images) {
      return (await analyse(images)).map((a) => a.vector);
    },
    async embedImage(image) {
      return (await analyse([image]))[0]!.vector;
    },
    analyseImages: analyse,
    async analyseImage(image) {
      return (await analyse([image]))[0]!;
    },
    async ready() {
      return (await load()).engine;
    },
    async status() {
      try {
        const { engine } = await load();
        return {
          state: "ready",
          modelId: engine.descriptor.id,
          sha256: engine.descriptor.sha256,
          dims: engine.descriptor.dims,
          provider: engine.provider,
          requestedProvider: engine.requestedProvider,
          ...(engine.fallbackReason ? { fallbackReason: engine.fallbackReason } : {}),
          sessionCreatedAt: engine.sessionCreatedAt.toISOString(),
          threads: engine.threads,
          inferenceThread: engine.thread,
          batchSize: settings.batchSize,
          modelDir: engine.modelDir,
          onnxPath: engine.onnxPath,
          ...(engine.quantized ? { quantized: engine.quantized } : {}),
          queue: batcher.stats(),
        };
      } catch (error) {
        return {
          state: "error",
          requestedProvider: settings.provider,
          modelDir: settings.modelDir,
          error: errorMessage(error),
        };
      }
    },
    async model() {
      const d = (await load()).engine.descriptor;
      return { id: d.id, sha256: d.sha256, dims: d.dims, card: d };
    },
    async close() {
      const current = loading;
      loading = undefined;
      const loaded = await current?.catch(() => undefined);
      await loaded?.engine.release();
    },
  };
}
