// The app's default model on the CPU runs as its int8 copy (lib/embedding/quantized.ts) and stores its vectors under
// the float model's id, so they must stand in for the float vectors: the same films through both graphs, through the
// app's own decoder and embedder, give embeddings with cosine >= 0.99, the same extent within half a point and the
// same gate decision. EMBED_INT8=0 (the default) keeps the float graph.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbedder, embeddingSettings, type Embedder, type FilmAnalysis } from "@/lib/embedding";
import { corpusFiles } from "@/lib/embedding/dev-corpus";
import { judgeView } from "@/lib/gate/frontal-film";
import { decodeScan } from "@/lib/image";

const quiet = { info: () => undefined, warn: () => undefined };
let floatEmbedder: Embedder;
let int8Embedder: Embedder;

beforeAll(() => {
  const env = { ...process.env, EMBED_PROVIDER: "cpu", RADTRACK_MODEL_DIR: "" };
  floatEmbedder = createEmbedder({ ...embeddingSettings({ ...env, EMBED_INT8: "0" }), batchSize: 8 }, quiet);
  int8Embedder = createEmbedder({ ...embeddingSettings({ ...env, EMBED_INT8: "1" }), batchSize: 8 }, quiet);
});
afterAll(async () => {
  await floatEmbedder.close();
  await int8Embedder.close();
});

describe("the int8 copy of the default model", () => {
  it("is selected on the CPU unless switched off, under the float model's id", async () => {
    const [f, q] = [await floatEmbedder.status(), await int8Embedder.status()];
    if (f.state !== "ready" || q.state !== "ready") throw new Error("embedder not ready");
    expect(f.quantized).toBeUndefined();
    expect(q.quantized).toMatchObject({ quantization: "int8", id: `${f.modelId.split("@")[0]}_int8@1` });
    expect(q.modelId).toBe(f.modelId);
    expect(q.onnxPath).not.toBe(f.onnxPath);
    expect((await int8Embedder.model()).id).toBe(f.modelId);
  });

  it("gives embeddings within cosine 0.99 of the float graph's, the same extent and gate decision", async () => {
    const files = await corpusFiles(12);
    const images = await Promise.all(files.map(async (f) => decodeScan(await readFile(f))));
    const a: FilmAnalysis[] = await floatEmbedder.analyseImages(images);
    const b: FilmAnalysis[] = await int8Embedder.analyseImages(images);
    const gate = (await floatEmbedder.ready()).descriptor.heads!.view!;
    a.forEach((x, i) => {
      const y = b[i]!;
      let dot = 0;
      for (let j = 0; j < x.vector.length; j++) dot += x.vector[j]! * y.vector[j]!;
      expect(dot, files[i]).toBeGreaterThanOrEqual(0.99);
      expect(Math.abs(x.extent!.value - y.extent!.value), files[i]).toBeLessThan(0.5);
      expect(judgeView(y.view!, gate).accepted, files[i]).toBe(judgeView(x.view!, gate).accepted);
    });
  });
});
