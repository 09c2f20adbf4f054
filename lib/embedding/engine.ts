// One verified ONNX session: right file (sha256), right names and shapes, right output size on a real run.
// Everything that could make vectors silently wrong is checked before the first caller gets one.
import { InferenceSession, Tensor } from "onnxruntime-node";
import { verifySha256 } from "./checksum";
import { EmbeddingConfigError, EmbeddingEngineError } from "./errors";
import { headOutputs, packedWidth } from "./heads";
import type { ModelDescriptor } from "./model-contract";
import { loadModelFolder, type ModelFolder } from "./model-dir";
import {
  openSessionWithFallback,
  type EmbeddingLog,
  type ExecutionProvider,
  type RequestedProvider,
} from "./providers";
import { findInt8Copy, folderForProvider } from "./quantized";
import { assertUnitVector, l2Normalize } from "./vectors";

export interface EngineOptions {
  modelDir: string;
  sharedDir: string;
  provider: RequestedProvider;
  threads: number;
  /** Run the float model's int8 copy on the CPU provider when there is one (quantized.ts). */
  int8: boolean;
  log: EmbeddingLog;
}

/** The int8 copy running in place of the float model: its own id and checksum, for the status and benchmarks. */
export interface QuantizedGraph {
  quantization: "int8";
  id: string;
  sha256: string;
}

export interface EmbeddingEngine {
  /**
   * The model whose vectors this engine produces. When its int8 copy runs (`quantized`), this stays the float
   * model's descriptor: the copy's vectors are stored under the float id (radtrack_cxr_v3_int8 MODEL_CARD.md).
   */
  readonly descriptor: ModelDescriptor;
  readonly modelDir: string;
  /** The graph that runs: the float model's file or its int8 copy's. */
  readonly onnxPath: string;
  readonly quantized: QuantizedGraph | null;
  readonly provider: ExecutionProvider;
  readonly requestedProvider: RequestedProvider;
  readonly fallbackReason: string | undefined;
  readonly sessionCreatedAt: Date;
  readonly threads: number;
  /** Largest batch the graph accepts in one run. */
  readonly maxBatch: number;
  /** Where `session.run` executes: a worker thread (inference-thread.ts) or the thread that opened the engine. */
  readonly thread: "worker" | "main";
  /**
   * `input` holds `count` preprocessed images (NCHW); returns one packed array each: the checked, unit-length vector
   * followed by the model's head outputs (heads.ts unpacks them).
   */
  infer(input: Float32Array, count: number): Promise<Float32Array[]>;
  release(): Promise<void>;
}

function checkSignature(session: InferenceSession, d: ModelDescriptor): void {
  const fail = (what: string) => {
    throw new EmbeddingConfigError(`${d.id}: ${what} (model.json vs the ONNX graph)`);
  };
  if (!session.inputNames.includes(d.input.name)) {
    fail(`input "${d.input.name}" not in the graph's inputs [${session.inputNames.join(", ")}]`);
  }
  for (const name of [d.output.name, ...headOutputs(d).map((h) => h.name)]) {
    if (!session.outputNames.includes(name)) {
      fail(`output "${name}" not in the graph's outputs [${session.outputNames.join(", ")}]`);
    }
  }
  const input = session.inputMetadata.find((m) => m.name === d.input.name);
  if (input?.isTensor) {
    if (input.type !== "float32") fail(`input "${d.input.name}" is ${input.type}, expected float32`);
    // Symbolic dimensions come back as strings: only fixed ones can be compared.
    input.shape.forEach((dim, i) => {
      const want = d.input.shape[i];
      if (i > 0 && typeof dim === "number" && dim !== want) {
        fail(`input shape [${input.shape.join(",")}] does not match [${d.input.shape.join(",")}]`);
      }
    });
  }
  const output = session.outputMetadata.find((m) => m.name === d.output.name);
  if (output?.isTensor) {
    const last = output.shape[output.shape.length - 1];
    if (typeof last === "number" && last !== d.dims) fail(`output has ${last} dimensions, model.json says ${d.dims}`);
  }
}

async function runSession(
  session: InferenceSession,
  d: ModelDescriptor,
  input: Float32Array,
  count: number,
): Promise<Float32Array[]> {
  const [, channels, height, width] = d.input.shape;
  const per = channels * height * width;
  if (input.length !== per * count) {
    throw new RangeError(`input has ${input.length} values, expected ${count} x ${per}`);
  }
  const feeds = { [d.input.name]: new Tensor("float32", input, [count, channels, height, width]) };
  const heads = headOutputs(d);
  const result = await session.run(feeds, [d.output.name, ...heads.map((h) => h.name)]);
  const out = result[d.output.name];
  if (!(out instanceof Tensor) || out.type !== "float32" || !(out.data instanceof Float32Array)) {
    throw new EmbeddingEngineError(`${d.id}: output "${d.output.name}" is not a float32 tensor`);
  }
  const dims = out.dims;
  if (dims.length !== 2 || dims[0] !== count || dims[1] !== d.dims) {
    throw new EmbeddingConfigError(
      `${d.id}: output "${d.output.name}" has shape [${dims.join(",")}], expected [${count},${d.dims}] (model.json dims)`,
    );
  }
  const headData = heads.map((h) => {
    const t = result[h.name];
    if (!(t instanceof Tensor) || !(t.data instanceof Float32Array) || t.data.length !== count * h.width) {
      throw new EmbeddingConfigError(
        `${d.id}: head output "${h.name}" should hold ${count} x ${h.width} float32 values`,
      );
    }
    return t;
  });
  const data = out.data;
  const packedLength = packedWidth(d);
  const vectors: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const raw = data.subarray(i * d.dims, (i + 1) * d.dims);
    const packed = new Float32Array(packedLength);
    packed.set(d.output.l2normalize ? l2Normalize(raw) : assertUnitVector(Float32Array.from(raw)));
    let at = d.dims;
    heads.forEach((h, k) => {
      packed.set((headData[k]!.data as Float32Array).subarray(i * h.width, (i + 1) * h.width), at);
      at += h.width;
    });
    vectors.push(packed);
  }
  out.dispose();
  for (const t of headData) t.dispose();
  return vectors;
}

export async function openEmbeddingEngine(options: EngineOptions): Promise<EmbeddingEngine> {
  const folder = await loadModelFolder(options.modelDir, options.sharedDir);
  const d = folder.descriptor;
  await verifySha256(folder.onnxPath, d.sha256);
  let int8: ModelFolder | null = null;
  if (options.int8) {
    const lookup = await findInt8Copy(folder, options.sharedDir);
    if (lookup.found) {
      await verifySha256(lookup.folder.onnxPath, lookup.folder.descriptor.sha256);
      int8 = lookup.folder;
    } else if (lookup.problem) {
      options.log.warn(`[embedding] int8 copy not used: ${lookup.problem}`);
    }
  }

  // The probe is a real inference on a mid-grey image: it proves the provider can execute the graph and that the
  // output has `dims` values, before any caller's image depends on it.
  const probe = async (session: InferenceSession) => {
    checkSignature(session, d);
    const [, c, h, w] = d.input.shape;
    await runSession(session, d, new Float32Array(c * h * w), 1);
  };
  const choice = await openSessionWithFallback({
    modelPath: folder.onnxPath,
    modelPathFor: (provider) => folderForProvider(provider, folder, int8, options.int8).onnxPath,
    modelNote: (provider) => {
      const ran = folderForProvider(provider, folder, int8, options.int8);
      return ran === folder ? undefined : `${d.id} runs as its int8 copy ${ran.descriptor.id}`;
    },
    requested: options.provider,
    threads: options.threads,
    probe,
    log: options.log,
  });
  const session = choice.session;
  const ran = int8 && choice.modelPath === int8.onnxPath ? int8 : folder;
  const quantized: QuantizedGraph | null =
    ran === folder ? null : { quantization: "int8", id: ran.descriptor.id, sha256: ran.descriptor.sha256 };
  const maxBatch = d.input.shape[0] === "N" ? Number.POSITIVE_INFINITY : d.input.shape[0];

  return {
    descriptor: d,
    modelDir: folder.modelDir,
    onnxPath: ran.onnxPath,
    quantized,
    provider: choice.provider,
    requestedProvider: options.provider,
    fallbackReason: choice.fallbackReason,
    sessionCreatedAt: new Date(),
    threads: options.threads,
    maxBatch,
    thread: "main",
    async infer(input, count) {
      const per = input.length / Math.max(count, 1);
      const vectors: Float32Array[] = [];
      // Fixed-batch graphs take one image per run; dynamic ones take the whole batch.
      const step = Math.max(1, Math.min(count, maxBatch));
      for (let start = 0; start < count; start += step) {
        const n = Math.min(step, count - start);
        vectors.push(...(await runSession(session, d, input.subarray(start * per, (start + n) * per), n)));
      }
      return vectors;
    },
    release: () => session.release(),
  };
}
