// Step 2 of training: runs prepare.py's stem.onnx (Equalise + frozen MobileNetV2 blocks) over views.u8 with
// onnxruntime-node, the app's runtime, and writes stem.f32 for train.py. Inputs are formed exactly as the app's
// preprocess.ts does after resizing: grey replicated to 3 channels, x = (p - 128) / 128.
//
//   npx tsx models/training/run_stem.ts <cache dir> [threads]
import { createWriteStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import path from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";

const dir = process.argv[2];
if (!dir) throw new Error("usage: run_stem.ts <cache dir> [threads]");
const threads = Number(process.argv[3] ?? 2);
const index = JSON.parse(await readFile(path.join(dir, "index.json"), "utf8")) as { views_total: number };
const session = await InferenceSession.create(path.join(dir, "stem.onnx"), {
  executionProviders: ["cpu"],
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
});
const side = 224;
const plane = side * side;
const total = index.views_total;
const batch = 32;
const file = await open(path.join(dir, "views.u8"), "r");
const out = createWriteStream(path.join(dir, "stem.f32"));
const started = performance.now();
for (let start = 0; start < total; start += batch) {
  const n = Math.min(batch, total - start);
  const u8 = Buffer.alloc(n * plane);
  await file.read(u8, 0, u8.length, start * plane);
  const input = new Float32Array(n * 3 * plane);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const base = (i * 3 + c) * plane;
      for (let p = 0; p < plane; p++) input[base + p] = (u8[i * plane + p]! - 128) / 128;
    }
  }
  const result = await session.run({ input: new Tensor("float32", input, [n, 3, side, side]) });
  const data = result.stem!.data as Float32Array;
  if (!out.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength))) {
    await new Promise((resolve) => out.once("drain", resolve));
  }
  if ((start / batch) % 25 === 0) {
    console.log(`${start + n} / ${total} views (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
}
await new Promise((resolve) => out.end(resolve));
await file.close();
console.log(`wrote ${total} stem outputs in ${((performance.now() - started) / 1000).toFixed(0)} s`);
