// Embedding throughput: preprocessing alone, inference alone and both (the public embedImages path), at batch 1
// and 16, on real corpus X-rays. Writes bench/results/embed.json.
//
//   npm run bench:embed -- --n 64 [--repeat 3] [--batches 1,16] [--out bench/results/embed.json]
//   EMBED_PROVIDER=cuda|webgpu|cpu EMBED_THREADS=8 npm run bench:embed      (same script on a GPU machine)
//   EMBED_PROVIDER=cpu npm run bench:embed -- --graphs float,int8 --batches 16 --out bench/results/embed-int8.json
//     the float model and its int8 copy (lib/embedding/quantized.ts) in one run, alternating per stage so a busy
//     neighbour slows both alike, with the int8 / float ratio per stage and batch
//
// Plain Node modules only (no Next imports), so it also runs bundled:
//   esbuild scripts/bench-embed.ts --bundle --platform=node --format=esm --external:onnxruntime-node --external:sharp
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { env as ortEnv } from "onnxruntime-node";
import sharp from "sharp";
import { corpusFiles, decodeGrey } from "../lib/embedding/dev-corpus";
import { createEmbedder, type Embedder } from "../lib/embedding/embedder";
import type { EmbeddingEngine } from "../lib/embedding/engine";
import { createPreprocessor, type Preprocessor } from "../lib/embedding/preprocess";
import { embeddingSettings } from "../lib/embedding/settings";
import type { GreyImage } from "../lib/embedding/types";
import { writeResultFile } from "./bench-results";

const DEFAULT_BATCH_SIZES = "1,16";
type Stage = "preprocess" | "inference" | "both";
type Graph = "float" | "int8";

interface Row {
  /** Present when the run compares graphs (--graphs float,int8). */
  graph?: Graph;
  stage: Stage;
  batch: number;
  /** Median over repeats. */
  imagesPerSec: number;
  msPerImage: number;
  runsImagesPerSec: number[];
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number, got "${raw}"`);
  return value;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs `work` `repeat` times over `n` images; returns images/s per run. */
async function measure(n: number, repeat: number, work: () => Promise<void>): Promise<number[]> {
  const rates: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const start = performance.now();
    await work();
    rates.push(n / ((performance.now() - start) / 1000));
  }
  return rates;
}

// Best effort: names the GPU in the results when one is there; absent otherwise.
function gpuName(): string | undefined {
  try {
    const out = execFileSync("nvidia-smi", ["--query-gpu=name,driver_version", "--format=csv,noheader"], {
      encoding: "utf8",
      timeout: 5000,
      stdio: ["ignore", "pipe", "ignore"],
    });
    return out.trim().split("\n")[0] || undefined;
  } catch {
    return undefined;
  }
}

interface Opened {
  graph: Graph | undefined;
  embedder: Embedder;
  engine: EmbeddingEngine;
  pre: Preprocessor;
  groups: GreyImage[][];
  tensors: Float32Array[];
}

/** int8 images/s over float images/s for each stage and batch both graphs ran. */
function ratios(rows: readonly Row[]): { stage: Stage; batch: number; ratio: number }[] {
  return rows.flatMap((r) => {
    if (r.graph !== "int8") return [];
    const f = rows.find((x) => x.graph === "float" && x.stage === r.stage && x.batch === r.batch);
    return f ? [{ stage: r.stage, batch: r.batch, ratio: r.imagesPerSec / f.imagesPerSec }] : [];
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: "string" },
      repeat: { type: "string" },
      batches: { type: "string" },
      graphs: { type: "string" },
      out: { type: "string" },
    },
  });
  const n = positiveInt("n", values.n, 64);
  const repeat = positiveInt("repeat", values.repeat, 3);
  const batchSizes = (values.batches ?? DEFAULT_BATCH_SIZES).split(",").map((b) => positiveInt("batches", b, 1));
  const outFile = path.resolve(values.out ?? "bench/results/embed.json");
  const settings = embeddingSettings();
  const graphs = values.graphs?.split(",").map((g): Graph => {
    if (g !== "float" && g !== "int8") throw new Error(`--graphs takes float and/or int8, got "${g}"`);
    return g;
  });

  const files = await corpusFiles(n);
  const decodeStart = performance.now();
  const images: GreyImage[] = await Promise.all(files.map(decodeGrey));
  const decodeSec = (performance.now() - decodeStart) / 1000;
  console.log(`${images.length} corpus images decoded in ${(decodeSec * 1000).toFixed(0)} ms (not counted below)`);

  const rows: Row[] = [];
  let engineInfo:
    | {
        provider: string;
        fallbackReason: string | undefined;
        modelId: string;
        sha256: string;
        dims: number;
        graphs: Partial<Record<Graph, { onnxPath: string; id: string; sha256: string }>>;
      }
    | undefined;
  for (const batch of batchSizes) {
    // One embedder per batch size (and graph), so "both" measures the real path (queue, preprocessing, inference).
    const runs = (graphs ?? [undefined]).map((graph: Graph | undefined) => ({
      graph,
      embedder: createEmbedder({
        ...settings,
        ...(graph ? { int8: graph === "int8" } : {}),
        batchSize: batch,
        maxPending: Math.max(settings.maxPending, batch),
      }),
    }));
    try {
      const opened: Opened[] = [];
      for (const { graph, embedder } of runs) {
        const engine = await embedder.ready();
        if (graph && (engine.quantized !== null) !== (graph === "int8")) {
          throw new Error(`--graphs ${graph}: the engine runs ${engine.onnxPath} on ${engine.provider}`);
        }
        engineInfo ??= {
          provider: engine.provider,
          fallbackReason: engine.fallbackReason,
          modelId: engine.descriptor.id,
          sha256: engine.descriptor.sha256,
          dims: engine.descriptor.dims,
          graphs: {},
        };
        engineInfo.graphs[graph ?? (engine.quantized ? "int8" : "float")] = {
          onnxPath: path.relative(process.cwd(), engine.onnxPath),
          id: engine.quantized?.id ?? engine.descriptor.id,
          sha256: engine.quantized?.sha256 ?? engine.descriptor.sha256,
        };
        const pre = createPreprocessor(engine.descriptor);
        const groups = chunks(images, batch);
        const tensors = await Promise.all(groups.map((g) => pre.batch(g)));
        // Warm-up: first runs per shape allocate buffers (and compile kernels on GPU providers).
        await embedder.embedImages(images.slice(0, Math.min(batch * 2, images.length)));
        opened.push({ graph, embedder, engine, pre, groups, tensors });
      }
      const add = (graph: Graph | undefined, stage: Stage, rates: number[]) => {
        const rate = median(rates);
        rows.push({
          ...(graph ? { graph } : {}),
          stage,
          batch,
          imagesPerSec: rate,
          msPerImage: 1000 / rate,
          runsImagesPerSec: rates,
        });
        console.log(
          `  ${graph ? `${graph.padEnd(6)}` : ""}${stage.padEnd(10)} batch ${String(batch).padStart(2)}: ${rate.toFixed(1)} images/s`,
        );
      };
      const stages: Record<Stage, (o: Opened) => Promise<void>> = {
        preprocess: async ({ pre, groups }) => {
          for (const g of groups) await pre.batch(g);
        },
        inference: async ({ engine, groups, tensors }) => {
          for (let i = 0; i < groups.length; i++) await engine.infer(tensors[i]!, groups[i]!.length);
        },
        both: async ({ embedder }) => {
          await embedder.embedImages(images);
        },
      };
      for (const stage of ["preprocess", "inference", "both"] as const) {
        // Graphs alternate run by run, so a change in the machine's load falls on both.
        const rates = opened.map(() => [] as number[]);
        for (let r = 0; r < repeat; r++) {
          for (const [k, o] of opened.entries())
            rates[k]!.push(...(await measure(images.length, 1, () => stages[stage](o))));
        }
        opened.forEach((o, k) => add(o.graph, stage, rates[k]!));
      }
    } finally {
      for (const { embedder } of runs) await embedder.close();
    }
  }
  if (!engineInfo) throw new Error("no benchmark ran");

  const cpus = os.cpus();
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus[0]?.model ?? "unknown",
      cores: os.availableParallelism(),
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
      gpu: gpuName(),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      onnxruntime: ortEnv.versions.node ?? ortEnv.versions.common,
      libvips: sharp.versions.vips,
    },
    model: { id: engineInfo.modelId, sha256: engineInfo.sha256, dims: engineInfo.dims, graphs: engineInfo.graphs },
    provider: {
      requested: settings.provider,
      used: engineInfo.provider,
      fallbackReason: engineInfo.fallbackReason,
      threads: settings.threads,
    },
    images: {
      n: images.length,
      corpus: "shared/data/cxr (spread over the sorted list)",
      decodeImagesPerSec: images.length / decodeSec,
    },
    repeat,
    results: rows,
    ...(graphs?.length === 2 ? { int8VsFloat: ratios(rows) } : {}),
  };

  console.log(
    `\nprovider ${engineInfo.provider} (requested ${settings.provider}), ${settings.threads} threads, ` +
      `${result.machine.cpuModel} x${result.machine.cores}${result.machine.gpu ? `, ${result.machine.gpu}` : ""}`,
  );
  console.table(
    rows.map((r) => ({
      ...(r.graph ? { graph: r.graph } : {}),
      stage: r.stage,
      batch: r.batch,
      "images/s": Number(r.imagesPerSec.toFixed(1)),
      "ms/image": Number(r.msPerImage.toFixed(2)),
    })),
  );

  if (result.int8VsFloat) {
    for (const q of result.int8VsFloat)
      console.log(`int8 / float, ${q.stage} at batch ${q.batch}: ${q.ratio.toFixed(2)}x`);
  }
  await writeResultFile(outFile, result);
  console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
