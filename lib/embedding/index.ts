// Public entry point: one embedder per process, created on first use. The instance lives on globalThis because
// Next's dev server re-evaluates modules on every edit; a module-level variable would open a new ONNX session
// (tens of MB and several threads) each time.
import { createEmbedder, type Embedder, type EmbeddingModelInfo, type EmbeddingStatus } from "./embedder";
import { errorMessage } from "./errors";
import { embeddingSettings } from "./settings";
import type { FilmAnalysis } from "./heads";
import type { GreyImage } from "./types";

export type { Embedder, EmbeddingModelInfo, EmbeddingStatus } from "./embedder";
export type { GreyImage } from "./types";
export type { ExtentEstimate, FilmAnalysis, ViewEstimate } from "./heads";
export { VIEW_CLASSES, type ViewClass } from "./model-contract";
export type { ModelDescriptor } from "./model-contract";
export type { EmbeddingSettings } from "./settings";
export type { ExecutionProvider, RequestedProvider } from "./providers";
export { createEmbedder } from "./embedder";
export { embeddingSettings } from "./settings";
export { resolveModelDir } from "./model-dir";
export { cosine } from "./vectors";
export {
  EmbeddingConfigError,
  EmbeddingEngineError,
  EmbeddingQueueFullError,
  InvalidImageError,
  ModelChecksumError,
} from "./errors";

const KEY = Symbol.for("radtrack.embedding.embedder");
type Holder = typeof globalThis & { [KEY]?: Embedder };

/** The process-wide embedder, configured from the environment (EMBED_*, RADTRACK_MODEL_DIR). */
export function defaultEmbedder(): Embedder {
  const holder = globalThis as Holder;
  // Settings are validated here, so a bad EMBED_PROVIDER fails the first call with a clear message.
  holder[KEY] ??= createEmbedder(embeddingSettings());
  return holder[KEY];
}

/** L2-normalised vectors, one per image, in order. Batches of up to EMBED_BATCH. */
export function embedImages(images: readonly GreyImage[]): Promise<Float32Array[]> {
  return defaultEmbedder().embedImages(images);
}

export function embedImage(image: GreyImage): Promise<Float32Array> {
  return defaultEmbedder().embedImage(image);
}

/** Vectors plus the model's heads (severity extent with its interval, frontal-film gate), one per image. */
export function analyseImages(images: readonly GreyImage[]): Promise<FilmAnalysis[]> {
  return defaultEmbedder().analyseImages(images);
}

export function analyseImage(image: GreyImage): Promise<FilmAnalysis> {
  return defaultEmbedder().analyseImage(image);
}

/** For the admin page: never throws; a broken configuration comes back as { state: "error" }. */
export async function embeddingStatus(): Promise<EmbeddingStatus> {
  try {
    return await defaultEmbedder().status();
  } catch (error) {
    return { state: "error", error: errorMessage(error) };
  }
}

export function embeddingModel(): Promise<EmbeddingModelInfo> {
  return defaultEmbedder().model();
}
