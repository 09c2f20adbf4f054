// A folder of synthetic non-radiographs in the OOD format (metadata.csv: id,file,kind) for `npm run eval -- --ood`,
// from seeds the gate was not trained on (train_heads.py uses seeds 0-59 of each kind).
//
//   npx tsx models/training/make_synthetic_ood.ts --out .data/ood-synthetic --first-seed 1000 --per-kind 40
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { makeNonRadiograph, NON_RADIOGRAPH_KINDS } from "./non_radiographs";

const { values } = parseArgs({
  options: {
    out: { type: "string" },
    "first-seed": { type: "string", default: "1000" },
    "per-kind": { type: "string", default: "40" },
  },
});
if (!values.out) throw new Error("--out is required");
await mkdir(values.out, { recursive: true });
const rows = ["id,file,kind"];
for (const kind of NON_RADIOGRAPH_KINDS) {
  for (let k = 0; k < Number(values["per-kind"]); k++) {
    const seed = Number(values["first-seed"]) + k;
    const bytes = await makeNonRadiograph(kind, seed);
    const file = `${kind}-${seed}.${seed % 2 === 0 ? "jpg" : "png"}`;
    await writeFile(path.join(values.out, file), bytes);
    rows.push(`${kind}-${seed},${file},${kind}`);
  }
}
await writeFile(path.join(values.out, "metadata.csv"), rows.join("\n") + "\n");
console.log(`wrote ${rows.length - 1} images to ${values.out}`);
