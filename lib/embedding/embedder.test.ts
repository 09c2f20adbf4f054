import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpusFiles, decodeGrey } from "./dev-corpus";
import { createEmbedder, type Embedder } from "./embedder";
import { InvalidImageError, ModelChecksumError } from "./errors";
import { defaultEmbedder, embedImage, embeddingStatus } from "./index";
import { embeddingSettings } from "./settings";
import type { GreyImage } from "./types";
import { cosine, l2Norm } from "./vectors";

// These tests pin the ImageNet baseline's ids and dimensions, whatever the app's default model is.
process.env.RADTRACK_MODEL_DIR = "models/mobilenet_v2_imagenet";
const quiet = { info: () => undefined, warn: () => undefined };
const settings = { ...embeddingSettings({ ...process.env, EMBED_PROVIDER: "cpu" }), batchSize: 16, maxPending: 8 };
let embedder: Embedder;
let images: GreyImage[];

beforeAll(async () => {
  embedder = createEmbedder(settings, quiet);
  // Spread over the corpus: different sources, sizes and aspect ratios.
  images = await Promise.all((await corpusFiles(6)).map(decodeGrey));
});
afterAll(() => embedder.close());

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("embedding corpus X-rays", () => {
  it("gives deterministic unit vectors of 1280 dimensions", async () => {
    const a = await embedder.embedImage(images[0]!);
    const b = await embedder.embedImage(images[0]!);
    expect(a).toHaveLength(1280);
    expect(Math.abs(l2Norm(a) - 1)).toBeLessThan(1e-5);
    expect(b).toEqual(a);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it("gives the same vectors for a batch of 4 as for 4 single calls", async () => {
    const four = images.slice(0, 4);
    const batch = await embedder.embedImages(four);
    for (let i = 0; i < 4; i++) {
      const single = await embedder.embedImage(four[i]!);
      expect(maxAbsDiff(batch[i]!, single)).toBeLessThan(1e-5);
    }
  });

  it("puts X-rays close together but not on top of each other", async () => {
    const [a, b, c] = await embedder.embedImages(images.slice(0, 3));
    for (const [x, y] of [
      [a!, b!],
      [a!, c!],
      [b!, c!],
    ] as const) {
      const cos = cosine(x, y);
      expect(cos).toBeGreaterThan(0.3);
      expect(cos).toBeLessThan(0.999);
    }
  });

  it("stays within its pending bound under 100 concurrent requests", async () => {
    const expected = await embedder.embedImages(images);
    const requests = Array.from({ length: 100 }, (_, i) => embedder.embedImage(images[i % images.length]!));
    const results = await Promise.all(requests);
    const status = await embedder.status();
    if (status.state !== "ready") throw new Error(status.error);
    expect(status.queue.peakPending).toBeLessThanOrEqual(settings.maxPending);
    results.forEach((v, i) => expect(maxAbsDiff(v, expected[i % images.length]!)).toBeLessThan(1e-5));
  });

  it("refuses a malformed image before queueing it", async () => {
    await expect(embedder.embedImage({ width: 10, height: 10, pixels: new Uint8Array(99) })).rejects.toThrow(
      InvalidImageError,
    );
  });
});

describe("model checks", () => {
  const temps: string[] = [];
  afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

  it("refuses an ONNX file whose sha256 differs from model.json, naming both hashes", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-model-"));
    temps.push(dir);
    const source = path.resolve("models/mobilenet_v2_imagenet/model.json");
    await copyFile(source, path.join(dir, "model.json"));
    const json = JSON.parse(await readFile(path.join(dir, "model.json"), "utf8")) as { sha256: string };
    const real = json.sha256;
    const wrong = "0".repeat(64);
    await writeFile(path.join(dir, "model.json"), JSON.stringify({ ...json, sha256: wrong }));
    const bad = createEmbedder({ ...settings, modelDir: dir }, quiet);
    const error = await bad.embedImage(images[0]!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelChecksumError);
    expect((error as Error).message).toContain(`expected sha256 ${wrong}`);
    expect((error as Error).message).toContain(`file has sha256 ${real}`);
    const status = await bad.status();
    expect(status.state).toBe("error");
  });

  it("serves one process-wide embedder configured from the environment", async () => {
    process.env.EMBED_PROVIDER = "cpu";
    expect(defaultEmbedder()).toBe(defaultEmbedder());
    const v = await embedImage(images[1]!);
    expect(v).toHaveLength(1280);
    const status = await embeddingStatus();
    expect(status).toMatchObject({ state: "ready", modelId: "mobilenet_v2_imagenet@1", provider: "cpu", dims: 1280 });
    await defaultEmbedder().close();
  });
});
