// The onnxruntime-node half of quantize_int8.py (there is no onnxruntime for Python here): it runs graphs with the
// app's own runtime and preprocessing. Called by quantize_int8.py; each command is also usable alone.
//
//   fold      --model-dir <float dir> --out <file.onnx>
//             ONNX Runtime's basic optimisations (constant folding) saved as plain ONNX, so that the padding
//             amounts the graph computes from constants become initializers the quantizer can read.
//   calibrate --model-dir <float dir> --onnx <instrumented.onnx> --tensors <names.json> --images <dir> --n <count>
//             --out <ranges.json>
//             min / max of every named tensor over `n` films of <dir> (a training split: never the held-out test).
//   compare   --model-dir <float dir> --onnx <int8.onnx> --images <dir> --n <count> [--batch 16] [--out <file>]
//             cosine between the float and the int8 vector of each film, and both graphs' speed at one batch size.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { config } from "../../lib/config";
import { loadModelFolder } from "../../lib/embedding/model-dir";
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

/** `n` films of the folder spread over its sorted list, preprocessed as the app does, in batches. */
async function* batches(n: number, size: number): AsyncGenerator<{ input: Float32Array; count: number }> {
  const dir = required("images");
  const all = (await readdir(dir)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const count = Math.min(n, all.length);
  const files = Array.from({ length: count }, (_, i) => path.join(dir, all[Math.floor((i * all.length) / count)]!));
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
  const ranges: Record<string, [number, number]> = {};
  let films = 0;
  for await (const { input, count } of batches(Number(values.n), Number(values.batch))) {
    const result = await s.run(feeds(input, count), names);
    for (const name of names) {
      const data = result[name]!.data as Float32Array;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < data.length; i++) {
        const v = data[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const [l, h] = ranges[name] ?? [Infinity, -Infinity];
      ranges[name] = [Math.min(l, lo), Math.max(h, hi)];
    }
    films += count;
  }
  await writeFile(required("out"), JSON.stringify({ films, ranges }, null, 1));
  console.log(`calibrated ${names.length} tensors on ${films} films`);
} else if (command === "compare") {
  const batch = Number(values.batch);
  const float = await session(folder.onnxPath);
  const int8 = await session(required("onnx"));
  const cosines: number[] = [];
  const time = { float: 0, int8: 0 };
  const inputs: { input: Float32Array; count: number }[] = [];
  for await (const b of batches(Number(values.n), batch)) inputs.push(b);
  // One warm-up run each, then alternate so that a busy neighbour slows both alike.
  await float.run(feeds(inputs[0]!.input, inputs[0]!.count));
  await int8.run(feeds(inputs[0]!.input, inputs[0]!.count));
  for (const { input, count } of inputs) {
    let t = performance.now();
    const a = (await float.run(feeds(input, count)))[d.output.name]!.data as Float32Array;
    time.float += performance.now() - t;
    t = performance.now();
    const b = (await int8.run(feeds(input, count)))[d.output.name]!.data as Float32Array;
    time.int8 += performance.now() - t;
    for (let i = 0; i < count; i++) {
      let dot = 0;
      for (let j = 0; j < d.dims; j++) dot += a[i * d.dims + j]! * b[i * d.dims + j]!;
      cosines.push(dot);
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
    imagesPerSec: { float: (films / time.float) * 1000, int8: (films / time.int8) * 1000 },
  };
  console.log(JSON.stringify(report, null, 1));
  if (values.out) await writeFile(values.out, JSON.stringify(report, null, 1));
} else {
  console.error("usage: int8_tool.ts fold|calibrate|compare ... (see the top of this file)");
  process.exit(2);
}
