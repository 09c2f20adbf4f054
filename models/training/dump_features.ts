// Feature cache for train_heads.py: runs an ONNX with extra pooled outputs (with_outputs.py) over corpus-format
// folders and synthetic non-radiographs, decoding and preprocessing each image with the app's own code, and writes
// one float32 file per output plus index.json (id, set, kind, whether the app's decoder refused it and why).
//
//   npx tsx models/training/dump_features.ts --onnx .data/training/v2-feats.onnx --model models/radtrack_cxr_v2 \
//     --set cxr=../shared/data/cxr --set ralo=../shared/data/ralo --set ood=../shared/data/ood --synthetic 60 \
//     --out .data/training/feats-v2
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { config } from "../../lib/config";
import { parseCsvWithHeader } from "../../lib/csv";
import { loadModelFolder } from "../../lib/embedding/model-dir";
import { createPreprocessor } from "../../lib/embedding/preprocess";
import { decodeScan } from "../../lib/image";
import { makeNonRadiograph, NON_RADIOGRAPH_KINDS } from "./non_radiographs";
import { seededRandom } from "../../lib/seeded-random";

const { values } = parseArgs({
  options: {
    onnx: { type: "string" },
    model: { type: "string", default: "models/radtrack_cxr_v2" },
    set: { type: "string", multiple: true, default: [] },
    synthetic: { type: "string", default: "0" },
    "synthetic-seed": { type: "string", default: "1" },
    out: { type: "string" },
    batch: { type: "string", default: "32" },
    "augment-share": { type: "string", default: "0" },
  },
});
if (!values.onnx || !values.out) throw new Error("--onnx and --out are required");

interface Item {
  id: string;
  set: string;
  kind: string;
  load: () => Promise<Buffer>;
  /** A grey-level transform applied after decoding (augmented copies of frontal films for the gate). */
  lut?: Uint8Array;
}

/**
 * How a real film can reach the app with other grey levels: a detector's 12-bit range decoded without a window, a
 * dark or washed-out export, another gamma. The gate must still take it for a frontal film.
 */
function randomLut(r: () => number): Uint8Array {
  const lo = r() < 0.5 ? 0 : Math.floor(r() * 60);
  const hi = 110 + Math.floor(r() * 146);
  const gamma = Math.exp((r() - 0.5) * 1.8);
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.round(lo + (hi - lo) * Math.pow(v / 255, gamma));
  return lut;
}

const items: Item[] = [];
for (const spec of values.set!) {
  const [set, dir] = spec.split("=") as [string, string];
  const { rows } = parseCsvWithHeader(await readFile(path.join(dir, "metadata.csv"), "utf8"));
  for (const { values: r } of rows) {
    const id = r.id!;
    const file = r.file ?? `${id}.jpg`;
    const kind = r.kind ?? "frontal";
    items.push({ id, set, kind, load: () => readFile(path.join(dir, file)) });
  }
}
const share = Number(values["augment-share"]);
if (share > 0) {
  const r = seededRandom(7);
  for (const it of items.filter((i) => i.kind === "frontal")) {
    if (r() < share) items.push({ ...it, id: `aug-${it.id}`, set: `aug-${it.set}`, lut: randomLut(r) });
  }
}
const nSynthetic = Number(values.synthetic);
const seed0 = Number(values["synthetic-seed"]);
for (const kind of NON_RADIOGRAPH_KINDS) {
  for (let s = 0; s < nSynthetic; s++) {
    const seed = seed0 * 100000 + s;
    items.push({ id: `syn-${kind}-${seed}`, set: "synthetic", kind, load: () => makeNonRadiograph(kind, seed) });
  }
}

const folder = await loadModelFolder(path.resolve(values.model!), config().sharedDir);
const pre = createPreprocessor(folder.descriptor);
const session = await InferenceSession.create(values.onnx, { executionProviders: ["cpu"], intraOpNumThreads: 2 });
const size = folder.descriptor.resize.size;
const outputs: Record<string, number[][]> = Object.fromEntries(session.outputNames.map((n) => [n, []]));
const index: { id: string; set: string; kind: string; refused: string | null; row: number | null }[] = [];
const batchSize = Number(values.batch);
let row = 0;
const started = Date.now();
for (let i = 0; i < items.length; i += batchSize) {
  const chunk = items.slice(i, i + batchSize);
  const decoded = await Promise.all(
    chunk.map(async (it) => {
      try {
        const image = await decodeScan(await it.load());
        if (it.lut) image.pixels = image.pixels.map((v) => it.lut![v]!);
        return { it, image, refused: null };
      } catch (error) {
        return { it, image: null, refused: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  const ok = decoded.filter((d) => d.image !== null);
  for (const d of decoded) index.push({ id: d.it.id, set: d.it.set, kind: d.it.kind, refused: d.refused, row: null });
  if (ok.length === 0) continue;
  const input = await pre.batch(ok.map((d) => d.image!));
  const result = await session.run({
    [folder.descriptor.input.name]: new Tensor("float32", input, [ok.length, 3, size, size]),
  });
  for (const name of session.outputNames) {
    const data = result[name]!.data as Float32Array;
    const dim = data.length / ok.length;
    for (let k = 0; k < ok.length; k++) outputs[name]!.push(Array.from(data.subarray(k * dim, (k + 1) * dim)));
  }
  for (const d of ok) index.find((x) => x.id === d.it.id && x.set === d.it.set)!.row = row++;
  process.stdout.write(
    `\r${Math.min(i + batchSize, items.length)} / ${items.length} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}
console.log();
await mkdir(values.out, { recursive: true });
for (const [name, rows] of Object.entries(outputs)) {
  const dim = rows[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => flat.set(r, k * dim));
  await writeFile(path.join(values.out, `${name}.f32`), Buffer.from(flat.buffer));
}
const dims = Object.fromEntries(Object.entries(outputs).map(([n, rows]) => [n, rows[0]?.length ?? 0]));
await writeFile(path.join(values.out, "index.json"), JSON.stringify({ rows: row, dims, items: index }, null, 1));
console.log(`wrote ${row} rows (${index.length - row} refused by the decoder) to ${values.out}`);
