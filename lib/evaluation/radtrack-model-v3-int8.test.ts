// The int8 copy of the shipped model (models/radtrack_cxr_v3_int8): its file is the one model.json and the model card
// name, it names the float model it stands for, and the app's embedder (which selects it on the CPU) reproduces the
// outputs recorded for four corpus films (int8_tool.ts expected). Integer kernels differ slightly between CPUs
// (VNNI or not), so the tolerances are wider than the float parity test's 1e-4.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusDir } from "@/lib/embedding/dev-corpus";
import { createEmbedder, embeddingSettings, type Embedder } from "@/lib/embedding";
import { sha256File } from "@/lib/embedding/checksum";
import { parseModelDescriptor, type ModelDescriptor } from "@/lib/embedding/model-contract";
import { int8Mismatch } from "@/lib/embedding/quantized";
import { decodeScan } from "@/lib/image";

const FLOAT_DIR = path.resolve("models/radtrack_cxr_v3");
const INT8_DIR = path.resolve("models/radtrack_cxr_v3_int8");

interface Expected {
  model: string;
  runsAs: string;
  outputs: Record<string, { embedding: number[]; extent: number; view: number[]; distance: number }>;
}

let embedder: Embedder;
let float: ModelDescriptor;
let int8: ModelDescriptor;
let expected: Expected;

const descriptor = async (dir: string) =>
  parseModelDescriptor(JSON.parse(await readFile(path.join(dir, "model.json"), "utf8")), dir);

beforeAll(async () => {
  float = await descriptor(FLOAT_DIR);
  int8 = await descriptor(INT8_DIR);
  expected = JSON.parse(await readFile(path.join(INT8_DIR, "expected-outputs.json"), "utf8")) as Expected;
  const settings = embeddingSettings({ ...process.env, RADTRACK_MODEL_DIR: FLOAT_DIR, EMBED_PROVIDER: "cpu" });
  embedder = createEmbedder(
    { ...settings, int8: true, batchSize: 4 },
    { info: () => undefined, warn: () => undefined },
  );
});
afterAll(() => embedder.close());

describe("models/radtrack_cxr_v3_int8", () => {
  it("has the sha256 that model.json and MODEL_CARD.md state, stays small and names the float model", async () => {
    const onnx = path.join(INT8_DIR, "model.onnx");
    const actual = await sha256File(onnx);
    expect(actual).toBe(int8.sha256);
    expect(await readFile(path.join(INT8_DIR, "MODEL_CARD.md"), "utf8")).toContain(actual);
    expect((await readFile(onnx)).length).toBeLessThan(10 * 1024 * 1024);
    expect(int8.quantization).toBe("int8");
    expect(int8Mismatch(int8, float)).toBeNull();
    expect(expected.model).toBe(int8.id);
    expect(expected.runsAs).toBe(float.id);
  });

  it("runs in place of the float model on the CPU and reproduces its recorded outputs", async () => {
    const engine = await embedder.ready();
    expect(engine.quantized).toEqual({ quantization: "int8", id: int8.id, sha256: int8.sha256 });
    expect(engine.descriptor.id).toBe(float.id);
    expect(engine.onnxPath).toBe(path.join(INT8_DIR, "model.onnx"));
    const names = Object.keys(expected.outputs);
    expect(names.length).toBeGreaterThanOrEqual(4);
    const images = await Promise.all(names.map(async (n) => decodeScan(await readFile(path.join(corpusDir(), n)))));
    const analyses = await embedder.analyseImages(images);
    analyses.forEach((a, i) => {
      const want = expected.outputs[names[i]!]!;
      let maxDiff = 0;
      want.embedding.forEach((w, j) => (maxDiff = Math.max(maxDiff, Math.abs(a.vector[j]! - w))));
      expect(maxDiff).toBeLessThan(2e-3);
      expect(Math.abs(a.extent!.value - want.extent)).toBeLessThan(0.02);
      float.heads!.view!.classes.forEach((c, k) => expect(a.view!.probabilities[c]).toBeCloseTo(want.view[k]!, 2));
      expect(Math.abs(a.view!.distance - want.distance)).toBeLessThan(0.02);
    });
  });
});
