// The ingest pipeline decodes every film whole, although a large JPEG could be decoded at the size the renditions
// need (shrink-on-load, DecodeOptions.maxSide): the model's 224 px input resampled from the smaller decode moves the
// vector about as much as re-encoding the film would. This test keeps the numbers behind that choice and holds the
// pipeline to it: what the model sees through the pipeline is the whole decode, vector for vector. (The stored-film
// backfill of the 2048 px rendition, full-rendition.ts, needs no model and does decode at the size needed.)
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine, createEmbedder, embeddingSettings, type Embedder } from "@/lib/embedding";
import { decodeScan, FULL_MAX_SIDE, PREVIEW_MAX_SIDE } from "@/lib/image";
import { readCorpus } from "@/tests/support/image/corpus";
import { decodeForIngest } from "./pipeline";

const MODEL_DIR = path.resolve("models/radtrack_cxr_v2");
let embedder: Embedder;

beforeAll(() => {
  const settings = embeddingSettings({ ...process.env, RADTRACK_MODEL_DIR: MODEL_DIR, EMBED_PROVIDER: "cpu" });
  embedder = createEmbedder({ ...settings, batchSize: 4 }, { info: () => undefined, warn: () => undefined });
});
afterAll(() => embedder.close());

describe("what the model sees of a large JPEG", () => {
  it("is the whole decode through the pipeline; a decode at the renditions' size would move the vector", async () => {
    const films = [
      ["coh00121", 2600, 2620],
      ["nih00013", 4300, 4100],
      ["coh00001", 3000, 2578],
    ] as const;
    const bytes = await Promise.all(
      films.map(async ([id, w, h]) =>
        sharp(await readCorpus(id))
          .resize(w, h, { fit: "fill" })
          .jpeg({ quality: 92 })
          .toBuffer(),
      ),
    );
    const whole = await Promise.all(bytes.map((b) => decodeScan(b)));
    const pipeline = await Promise.all(bytes.map((b) => decodeForIngest(b)));
    expect(pipeline.map((d) => [d.width, d.height, d.fullSize])).toEqual(films.map(([, w, h]) => [w, h, undefined]));
    const smaller = await Promise.all(
      bytes.flatMap((b) => [PREVIEW_MAX_SIDE, FULL_MAX_SIDE].map((maxSide) => decodeScan(b, undefined, { maxSide }))),
    );

    const a = await embedder.embedImages(whole);
    const p = await embedder.embedImages(pipeline);
    const s = await embedder.embedImages(smaller);
    for (const i of a.keys()) expect(cosine(a[i]!, p[i]!)).toBeGreaterThan(0.999999);
    const moved = s.map((v, k) => cosine(a[Math.floor(k / 2)]!, v));
    // For the record (measured: 0.985-1.000, below the 0.999 that counts as the same vector for two of the films).
    console.info(`cosine of shrink-on-load decodes (1024, 2048 px) to the whole: ${moved.map((x) => x.toFixed(4))}`);
  });
});
