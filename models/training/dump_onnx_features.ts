// Parity fixture for the ONNX -> PyTorch loader: runs the ONNX graph with onnxruntime-node (the app's runtime) on a
// few corpus images preprocessed by the app's own preprocess.ts, and writes the input tensors and raw outputs as
// little-endian float32 files plus a JSON index. onnx_loader.py --parity compares the PyTorch module against them.
//
//   npx tsx models/training/dump_onnx_features.ts [--model models/mobilenet_v2_imagenet] [--n 8] [--out models/training/runs/parity]
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { config } from "../../lib/config";
import { corpusFiles } from "../../lib/embedding/dev-corpus";
import { loadModelFolder } from "../../lib/embedding/model-dir";
import { createPreprocessor } from "../../lib/embedding/preprocess";
import { decodeScan } from "../../lib/image";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/mobilenet_v2_imagenet" },
    n: { type: "string", default: "8" },
    out: { type: "string", default: "models/training/runs/parity" },
  },
});
const folder = await loadModelFolder(path.resolve(values.model!), config().sharedDir);
const d = folder.descriptor;
const files = await corpusFiles(Number(values.n));
const pre = createPreprocessor(d);
const images = await Promise.all(files.map(async (f) => decodeScan(await readFile(f))));
const input = await pre.batch(images);
const session = await InferenceSession.create(folder.onnxPath, { executionProviders: ["cpu"], intraOpNumThreads: 2 });
const result = await session.run({
  [d.input.name]: new Tensor("float32", input, [files.length, 3, d.resize.size, d.resize.size]),
});
const output = result[d.output.name]!.data as Float32Array;
await mkdir(values.out!, { recursive: true });
await writeFile(path.join(values.out!, "input.f32"), Buffer.from(input.buffer, input.byteOffset, input.byteLength));
await writeFile(path.join(values.out!, "output.f32"), Buffer.from(output.buffer, output.byteOffset, output.byteLength));
await writeFile(
  path.join(values.out!, "index.json"),
  JSON.stringify(
    {
      model: d.id,
      onnx: folder.onnxPath,
      files: files.map((f) => path.basename(f)),
      inputShape: [files.length, 3, d.resize.size, d.resize.size],
      outputShape: [files.length, output.length / files.length],
      outputName: d.output.name,
    },
    null,
    2,
  ),
);
console.log(`wrote ${files.length} images to ${values.out}`);
