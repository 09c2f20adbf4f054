// The onnxruntime-node half of quantize_int8.py (there is no onnxruntime for Python here): it runs graphs with the
// app's own runtime and preprocessing. Called by quantize_int8.py; each command is also usable alone.
//
//   fold      --model-dir <float dir> --out <file.onnx>
//             ONNX Runtime's basic optimisations (constant folding) saved as plain ONNX, so that the padding
//             amounts the graph computes from constants become initializers the quantizer can read.
//   calibrate --model-dir <float dir> --onnx <instrumented.onnx> --tensors <names.json> --images <dir[,dir]>
//             --n <count> [--bins 2048] --out <ranges.json>
//             min / max of every named tensor over `n` films of the folders (training splits: never the held-out
//             test), then a second pass for a histogram of each tensor over its range, from which quantize_int8.py
//             derives percentile or entropy ranges without running the graph again.
//   features  --model-dir <float dir> --onnx <graph.onnx> --output <name> --images <dir[,dir]> --n <count> --out <file>
//             one output of any graph (e.g. the pooled features, made a graph output first) for each film, as
//             float32 rows in <file> (n x width), for quantize_int8.py --refit-heads.
//   expected  --model-dir <float dir> --out <int8 dir>/expected-outputs.json
//             the int8 copy's outputs for the films of the float model's expected-outputs.json, through the app's
//             embedder with the copy selected on the CPU (lib/embedding/quantized.ts): the recorded parity file
//             lib/evaluation/radtrack-model-v3-int8.test.ts checks.
//   compare   --model-dir <float dir> --onnx <int8.onnx> --images <dir[,dir]> --n <count> [--batch 16] [--out <file>]
//             cosine between the float and the int8 vector of each film, the difference of every other output
//             (extent, view probabilities, frontal distance) and both graphs' speed at one batch size.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { config } from "../../lib/config";
import { corpusDir } from "../../lib/embedding/dev-corpus";
import { createEmbedder } from "../../lib/embedding/embedder";
import { loadModelFolder } from "../../lib/embedding/model-dir";
import { embeddingSettings } from "../../lib/embedding/settings";
import { createPreprocessor } from "../../lib/embedding/preprocess";
import { decodeScan } from "../../lib/image";

const [command, ...rest] = process.argv.slice(2);
const { values } = parseArgs({
  args: rest,
  options: {
    "model-dir": { type: "string" },
    onnx: { type: "string" },
    out: { type: "string" },
    tensors: { type: "string" },
    images: { type: "string" },
    n: { type: "string", default: "256" },
    batch: { type: "string", default: "16" },
    threads: { type: "string", default: "2" },
    bins: { type: "string", default: "2048" },
    output: { type: "string" },
  },
});

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new Error(`--${name} is required for ${command}`);
  return value;
}

const folder = await loadModelFolder(path.resolve(required("model-dir")), config().sharedDir);
const d = folder.descriptor;
const threads = Number(values.threads);
const session = (file: string, extra: InferenceSession.SessionOptions = {}) =>
  InferenceSession.create(file, {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
    ...extra,
  });

/** `n` films over the folders (an equal share each), spread over each sorted list. */
async function chooseFiles(n: number): Promise<string[]> {
  const dirs = required("images").split(",");
  const files: string[] = [];
  for (const [k, dir] of dirs.entries()) {
    const all = (await readdir(dir)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    const share = Math.floor(n / dirs.length) + (k < n % dirs.length ? 1 : 0);
    const count = Math.min(share, all.length);
    for (let i = 0; i < count; i++) files.push(path.join(dir, all[Math.floor((i * all.length) / count)]!));
  }
  return files;
}

/** The chosen films preprocessed as the app does, in batches. */
async function* batches(n: number, size: number): AsyncGenerator<{ input: Float32Array; count: number }> {
  const files = await chooseFiles(n);
  const pre = createPreprocessor(d);
  for (let i = 0; i < files.length; i += size) {
    const part = files.slice(i, i + size);
    const images = await Promise.all(part.map(async (f) => decodeScan(await readFile(f))));
    yield { input: await pre.batch(images), count: part.length };
  }
}

const feeds = (input: Float32Array, count: number) => ({
  [d.input.name]: new Tensor("float32", input, [count, ...d.input.shape.slice(1)] as number[]),
});

if (command === "fold") {
  await session(folder.onnxPath, { graphOptimizationLevel: "basic", optimizedModelFilePath: required("out") });
  console.log(`folded ${folder.onnxPath} -> ${values.out}`);
} else if (command === "calibrate") {
  const names = JSON.parse(await readFile(required("tensors"), "utf8")) as string[];
  const s = await session(required("onnx"), { graphOptimizationLevel: "disabled" });
  const bins = Number(values.bins);
  const ranges: Record<string, [number, number]> = {};
  let films = 0;
  // Decoded once: the second pass sees exactly the same inputs.
  const inputs: { input: Float32Array; count: number }[] = [];
  for await (const b of batches(Number(values.n), Number(values.batch))) inputs.push(b);
  // Per channel too (NCHW): quantize_int8.py --equalize rescales the channels of the residual streams from these.
  const channels: Record<string, { lo: number[]; hi: number[] }> = {};
  for (const { input, count } of inputs) {
    const result = await s.run(feeds(input, count), names);
    for (const name of names) {
      const tensor = result[name]!;
      const data = tensor.data as Float32Array;
      const c = Number(tensor.dims[1] ?? 1);
      const plane = data.length / (count * c);
      const ch = (channels[name] ??= {
        lo: new Array<number>(c).fill(Infinity),
        hi: new Array<number>(c).fill(-Infinity),
      });
      for (let n = 0; n < count; n++) {
        for (let k = 0; k < c; k++) {
          const base = (n * c + k) * plane;
          let lo = ch.lo[k]!;
          let hi = ch.hi[k]!;
          for (let i = base; i < base + plane; i++) {
            const v = data[i]!;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          ch.lo[k] = lo;
          ch.hi[k] = hi;
        }
      }
    }
    films += count;
  }
  for (const name of names) {
    ranges[name] = [Math.min(...channels[name]!.lo), Math.max(...channels[name]!.hi)];
  }
  // Second pass: a histogram over [min(lo, 0), max(hi, 0)], the span a uint8 range must cover at most.
  const histograms: Record<string, { lo: number; hi: number; counts: number[] }> = {};
  for (const name of names) {
    const [lo, hi] = ranges[name]!;
    histograms[name] = { lo: Math.min(lo, 0), hi: Math.max(hi, 0), counts: new Array<number>(bins).fill(0) };
  }
  for (const { input, count } of inputs) {
    const result = await s.run(feeds(input, count), names);
    for (const name of names) {
      const data = result[name]!.data as Float32Array;
      const h = histograms[name]!;
      const width = (h.hi - h.lo) / bins || 1;
      for (let i = 0; i < data.length; i++) {
        const b = Math.min(bins - 1, Math.max(0, Math.floor((data[i]! - h.lo) / width)));
        h.counts[b]!++;
      }
    }
  }
  await writeFile(required("out"), JSON.stringify({ films, ranges, channels, histograms }));
  console.log(`calibrated ${names.length} tensors on ${films} films (min / max and ${bins}-bin histograms)`);
} else if (command === "features") {
  const s = await session(required("onnx"));
  const output = required("output");
  const parts: Float32Array[] = [];
  for await (const { input, count } of batches(Number(values.n), Number(values.batch))) {
    parts.push(Float32Array.from((await s.run(feeds(input, count), [output]))[output]!.data as Float32Array));
  }
  const rows = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  await writeFile(required("out"), rows);
  console.log(`${output}: ${rows.length / 4} values from ${values.n} films -> ${values.out}`);
} else if (command === "expected") {
  const floatExpected = JSON.parse(await readFile(path.join(folder.modelDir, "expected-outputs.json"), "utf8")) as {
    outputs: Record<string, unknown>;
  };
  const names = Object.keys(floatExpected.outputs);
  const settings = embeddingSettings({ ...process.env, RADTRACK_MODEL_DIR: folder.modelDir, EMBED_PROVIDER: "cpu" });
  const embedder = createEmbedder(
    { ...settings, int8: true, batchSize: names.length },
    { info: () => {}, warn: () => {} },
  );
  try {
    const engine = await embedder.ready();
    if (!engine.quantized) throw new Error(`no int8 copy of ${d.id} was selected (see lib/embedding/quantized.ts)`);
    const images = await Promise.all(names.map(async (n) => decodeScan(await readFile(path.join(corpusDir(), n)))));
    const analyses = await embedder.analyseImages(images);
    const round = (x: number) => Number(x.toFixed(7));
    const outputs = Object.fromEntries(
      analyses.map((a, i) => [
        names[i]!,
        {
          embedding: Array.from(a.vector, round),
          extent: round(a.extent?.value ?? NaN),
          view: (d.heads?.view?.classes ?? []).map((c) => round(a.view?.probabilities[c] ?? NaN)),
          distance: round(a.view?.distance ?? NaN),
        },
      ]),
    );
    await writeFile(required("out"), JSON.stringify({ model: engine.quantized.id, runsAs: d.id, outputs }) + "\n");
    console.log(`${engine.quantized.id}: outputs of ${names.length} films -> ${values.out}`);
  } finally {
    await embedder.close();
  }
} else if (command === "compare") {
  const batch = Number(values.batch);
  const float = await session(folder.onnxPath);
  const int8 = await session(required("onnx"));
  const cosines: number[] = [];
  // Every other output of the contract (extent, view probabilities, frontal distance): absolute and signed
  // differences, since a small bias moves a mean error as much as noise does.
  const others = [d.heads?.extent?.output, d.heads?.view?.output, d.heads?.view?.distanceOutput].filter(
    (o): o is string => typeof o === "string",
  );
  const diffs: Record<string, { abs: number[]; signed: number }> = Object.fromEntries(
    others.map((o) => [o, { abs: [], signed: 0 }]),
  );
  const time = { float: 0, int8: 0 };
  const inputs: { input: Float32Array; count: number }[] = [];
  for await (const b of batches(Number(values.n), batch)) inputs.push(b);
  // One warm-up run each, then alternate so that a busy neighbour slows both alike.
  await float.run(feeds(inputs[0]!.input, inputs[0]!.count));
  await int8.run(feeds(inputs[0]!.input, inputs[0]!.count));
  for (const { input, count } of inputs) {
    let t = performance.now();
    const fa = await float.run(feeds(input, count));
    time.float += performance.now() - t;
    t = performance.now();
    const ia = await int8.run(feeds(input, count));
    time.int8 += performance.now() - t;
    const a = fa[d.output.name]!.data as Float32Array;
    const b = ia[d.output.name]!.data as Float32Array;
    for (let i = 0; i < count; i++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < d.dims; j++) {
        const x = a[i * d.dims + j]!;
        const y = b[i * d.dims + j]!;
        dot += x * y;
        na += x * x;
        nb += y * y;
      }
      cosines.push(dot / Math.sqrt(na * nb));
    }
    for (const o of others) {
      const x = fa[o]!.data as Float32Array;
      const y = ia[o]!.data as Float32Array;
      for (let i = 0; i < x.length; i++) {
        diffs[o]!.abs.push(Math.abs(y[i]! - x[i]!));
        diffs[o]!.signed += y[i]! - x[i]!;
      }
    }
  }
  cosines.sort((x, y) => x - y);
  const films = cosines.length;
  const report = {
    films,
    batch,
    threads,
    cosine: {
      min: cosines[0],
      p01: cosines[Math.floor(films * 0.01)],
      median: cosines[Math.floor(films / 2)],
      mean: cosines.reduce((x, y) => x + y, 0) / films,
    },
    outputs: Object.fromEntries(
      Object.entries(diffs).map(([o, v]) => {
        const abs = [...v.abs].sort((x, y) => x - y);
        return [
          o,
          {
            meanAbs: abs.reduce((x, y) => x + y, 0) / abs.length,
            p99Abs: abs[Math.floor(abs.length * 0.99)],
            maxAbs: abs[abs.length - 1],
            meanSigned: v.signed / abs.length,
          },
        ];
      }),
    ),
    imagesPerSec: { float: (films / time.float) * 1000, int8: (films / time.int8) * 1000 },
  };
  console.log(JSON.stringify(report, null, 1));
  if (values.out) await writeFile(values.out, JSON.stringify(report, null, 1));
} else {
  console.error("usage: int8_tool.ts fold|calibrate|compare ... (see the top of this file)");
  process.exit(2);
}
