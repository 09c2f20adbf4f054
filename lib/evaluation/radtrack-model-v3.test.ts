// The shipped Radtrack model (models/radtrack_cxr_v3): its file is the one model.json and the model card name, and
// the app's own embedding code reproduces every output (embedding, extent, view probabilities, distance) that the
// heads give in numpy on the cached features of a few corpus films (build_v3.py --feats): a recorded parity check
// of the graph surgery that needs no Python.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusDir } from "@/lib/embedding/dev-corpus";
import { createEmbedder, embeddingSettings, type Embedder } from "@/lib/embedding";
import { sha256File } from "@/lib/embedding/checksum";
import { parseModelDescriptor, type ModelDescriptor } from "@/lib/embedding/model-contract";
import { l2Norm } from "@/lib/embedding/vectors";
import { decodeScan } from "@/lib/image";

const MODEL_DIR = path.resolve("models/radtrack_cxr_v3");

interface Expected {
  model: string;
  outputs: Record<string, { embedding: number[]; extent: number; view: number[]; distance: number }>;
}

let embedder: Embedder;
let descriptor: ModelDescriptor;
let expected: Expected;

beforeAll(async () => {
  descriptor = parseModelDescriptor(JSON.parse(await readFile(path.join(MODEL_DIR, "model.json"), "utf8")), "v3");
  expected = JSON.parse(await readFile(path.join(MODEL_DIR, "expected-outputs.json"), "utf8"));
  // The float graph itself: on the CPU the app would otherwise run its int8 copy (radtrack-model-v3-int8.test.ts).
  const settings = embeddingSettings({
    ...process.env,
    RADTRACK_MODEL_DIR: MODEL_DIR,
    EMBED_PROVIDER: "cpu",
    EMBED_INT8: "0",
  });
  embedder = createEmbedder({ ...settings, batchSize: 4 }, { info: () => undefined, warn: () => undefined });
});
afterAll(() => embedder.close());

describe("models/radtrack_cxr_v3", () => {
  it("has the sha256 that model.json and MODEL_CARD.md state, fits the size budget and declares its heads", async () => {
    const onnx = path.join(MODEL_DIR, "model.onnx");
    const actual = await sha256File(onnx);
    expect(actual).toBe(descriptor.sha256);
    expect(await readFile(path.join(MODEL_DIR, "MODEL_CARD.md"), "utf8")).toContain(actual);
    expect((await readFile(onnx)).length).toBeLessThan(20 * 1024 * 1024);
    expect(expected.model).toBe(descriptor.id);
    expect(descriptor.heads?.extent?.interval.halfWidth).toBeGreaterThan(0);
    expect(descriptor.heads?.view?.classes[0]).toBe("frontal");
  });

  it("reproduces the heads' embedding, extent, view and distance within 1e-4 through the app's embedder", async () => {
    const names = Object.keys(expected.outputs);
    expect(names.length).toBeGreaterThanOrEqual(4);
    const images = await Promise.all(names.map(async (n) => decodeScan(await readFile(path.join(corpusDir(), n)))));
    const analyses = await embedder.analyseImages(images);
    analyses.forEach((a, i) => {
      const want = expected.outputs[names[i]!]!;
      expect(a.vector).toHaveLength(descriptor.dims);
      expect(Math.abs(l2Norm(a.vector) - 1)).toBeLessThan(1e-4);
      let maxDiff = 0;
      want.embedding.forEach((w, j) => (maxDiff = Math.max(maxDiff, Math.abs(a.vector[j]! - w))));
      expect(maxDiff).toBeLessThan(1e-4);
      expect(a.extent!.value).toBeCloseTo(want.extent, 3);
      expect(a.extent!.hi - a.extent!.lo).toBeGreaterThan(0);
      descriptor.heads!.view!.classes.forEach((c, k) => expect(a.view!.probabilities[c]).toBeCloseTo(want.view[k]!, 4));
      expect(a.view!.distance).toBeCloseTo(want.distance, 3);
    });
  });
});
