// Inference on a worker thread must be invisible to callers: the same vectors as on the main thread, the same
// errors, and a main thread that stays free while a batch runs. Where the thread cannot start, the engine opens on
// the calling thread and says so.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { corpusFiles, decodeGrey } from "./dev-corpus";
import { createEmbedder } from "./embedder";
import { embeddingSettings } from "./settings";
import { openThreadedEngine } from "./inference-thread";
import type { GreyImage } from "./types";

const settings = { ...embeddingSettings({ ...process.env, EMBED_PROVIDER: "cpu" }), batchSize: 8 };
const quiet = { info: () => undefined, warn: () => undefined };
let images: GreyImage[];

beforeAll(async () => {
  images = await Promise.all((await corpusFiles(8)).map(decodeGrey));
});

describe("inference thread", () => {
  it("gives the vectors of the main-thread engine and leaves the event loop free meanwhile", async () => {
    const threaded = createEmbedder({ ...settings, inferenceThread: true }, quiet);
    const inline = createEmbedder({ ...settings, inferenceThread: false }, quiet);
    try {
      expect((await threaded.ready()).thread).toBe("worker");
      expect((await inline.ready()).thread).toBe("main");
      // Timer turns while a batch of 8 runs: on the worker the main thread keeps ticking, inline it stalls.
      const ticksDuring = async (run: () => Promise<Float32Array[]>) => {
        let ticks = 0;
        const timer = setInterval(() => ticks++, 5);
        const vectors = await run();
        clearInterval(timer);
        return { ticks, vectors };
      };
      const a = await ticksDuring(() => threaded.embedImages(images));
      const b = await ticksDuring(() => inline.embedImages(images));
      expect(a.vectors).toHaveLength(images.length);
      for (let i = 0; i < images.length; i++) {
        let diff = 0;
        const [x, y] = [a.vectors[i]!, b.vectors[i]!];
        for (let j = 0; j < x.length; j++) diff = Math.max(diff, Math.abs(x[j]! - y[j]!));
        expect(diff).toBeLessThan(1e-6);
      }
      expect(a.ticks).toBeGreaterThan(2 * b.ticks + 3);
      expect((await threaded.status()).state === "ready" && (await threaded.status())).toMatchObject({
        inferenceThread: "worker",
      });
    } finally {
      await threaded.close();
      await inline.close();
    }
  });

  it("refuses work after release, with a clear error", async () => {
    const engine = await openThreadedEngine({ ...settings, log: quiet });
    expect(engine.thread).toBe("worker");
    await engine.release();
    const [, c, h, w] = engine.descriptor.input.shape;
    await expect(engine.infer(new Float32Array(c * h * w), 1)).rejects.toThrow(/released/);
  });

  it("opens on the calling thread, with a warning, where the worker cannot start", async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "radtrack-no-worker-"));
    const warnings: string[] = [];
    try {
      const engine = await openThreadedEngine(
        { ...settings, log: { info: () => undefined, warn: (m) => warnings.push(m) } },
        elsewhere,
      );
      expect(engine.thread).toBe("main");
      expect(warnings.join("\n")).toMatch(/inference runs on the main thread/);
      const [, c, h, w] = engine.descriptor.input.shape;
      expect(await engine.infer(new Float32Array(c * h * w), 1)).toHaveLength(1);
      await engine.release();
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
