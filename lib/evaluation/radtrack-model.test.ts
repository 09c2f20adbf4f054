// The committed Radtrack model (models/radtrack_cxr_v2): its file is the one model.json and the model card name, the
// app's own embedding code loads it, and it reproduces the vectors PyTorch computed for a few corpus images
// (models/training/export.py --parity) within 1e-4: a recorded parity check of the export that needs no Python.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusDir } from "@/lib/embedding/dev-corpus";
import { createEmbedder, embeddingSettings, type Embedder } from "@/lib/embedding";
import { sha256File } from "@/lib/embedding/checksum";
import { l2Norm } from "@/lib/embedding/vectors";
import { decodeScan } from "@/lib/image";

const MODEL_DIR = path.resolve("models/radtrack_cxr_v2");

interface Expected {
  model: string;
  vectors: Record<string, number[]>;
}

let embedder: Embedder;
let descriptor: { id: string; sha256: string; dims: number; output: { l2normalize: boolean } };
let expected: Expected;

beforeAll(async () => {
  descriptor = JSON.parse(await readFile(path.join(MODEL_DIR, "model.json"), "utf8"));
  expected = JSON.parse(await readFile(path.join(MODEL_DIR, "expected-vectors.json"), "utf8"));
  const settings = embeddingSettings({ ...process.env, RADTRACK_MODEL_DIR: MODEL_DIR, EMBED_PROVIDER: "cpu" });
  embedder = createEmbedder({ ...settings, batchSize: 4 }, { info: () => undefined, warn: () => undefined });
});
afterAll(() => embedder.close());

describe("models/radtrack_cxr_v2", () => {
  it("has the sha256 that model.json and MODEL_CARD.md state, and fits the size budget", async () => {
    const onnx = path.join(MODEL_DIR, "model.onnx");
    const actual = await sha256File(onnx);
    expect(actual).toBe(descriptor.sha256);
    expect(await readFile(path.join(MODEL_DIR, "MODEL_CARD.md"), "utf8")).toContain(actual);
    expect((await readFile(onnx)).length).toBeLessThan(20 * 1024 * 1024);
    expect(expected.model).toBe(descriptor.id);
  });

  it("is loaded by the app's embedder and reproduces PyTorch's vectors within 1e-4", async () => {
    const info = await embedder.model();
    expect(info).toMatchObject({ id: "radtrack_cxr_v2@1", dims: descriptor.dims });
    expect(descriptor.dims).toBeLessThanOrEqual(512);
    expect(descriptor.output.l2normalize).toBe(false); // the graph normalises; the engine checks the norms
    const names = Object.keys(expected.vectors);
    expect(names.length).toBeGreaterThanOrEqual(4);
    const images = await Promise.all(names.map(async (n) => decodeScan(await readFile(path.join(corpusDir(), n)))));
    const vectors = await embedder.embedImages(images);
    vectors.forEach((v, i) => {
      const want = expected.vectors[names[i]!]!;
      expect(v).toHaveLength(descriptor.dims);
      expect(Math.abs(l2Norm(v) - 1)).toBeLessThan(1e-4);
      let maxDiff = 0;
      for (let j = 0; j < want.length; j++) maxDiff = Math.max(maxDiff, Math.abs(v[j]! - want[j]!));
      expect(maxDiff).toBeLessThan(1e-4);
    });
  });
});
