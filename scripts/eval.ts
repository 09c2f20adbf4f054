// `npm run eval -- --reference <corpus dir> --queries <corpus dir> [--model <model dir>] [--k 36] [--out report.json]`
//
// Embeds both folders with the app's own code (lib/image decodeScan, lib/embedding with the model folder's
// model.json) and reports how clinicians' neighbour lists would look: purity per class (all neighbours and
// other-source neighbours only), the majority-vote confusion, the severity estimate against the expert scores,
// drift direction, source leakage, run time and the execution provider. In memory, exact cosine kNN: no database.
//
// Options:
//   --model <dir>         model folder with model.json (default: RADTRACK_MODEL_DIR, else the app's default model)
//   --reference <dir>     labelled reference folder in the corpus format (metadata.csv + <id>.jpg); repeat it to
//                         join several (e.g. --reference ../shared/data/cxr --reference ../shared/data/ralo)
//   --ood <dir>           images that are not frontal chest films (metadata.csv: id,file,kind): the gate's refusal
//                         rate per kind (ood.refused, ood.byKind.<kind>) and ood.frontalRefused for the queries
//   --queries <dir>       labelled query folder, same format; must share no patient and no image with the reference
//   --k <n>               neighbours per query (default 36, as in the app)
//   --age-groups <list>   keep only these age groups in both sets, e.g. "adult" or "adult,unknown" (default: all)
//   --out <file>          write the JSON report there
//   --allow-leaks         report leaked queries instead of refusing to run
//   --max-hamming <n>     256-bit dHash distance (equalised image) that counts as the same picture (default 16)
//   --min-correlation <r> 32 x 32 thumbnail correlation that counts as the same picture (default 0.985)
//
// Exit status: 0 = report written; 1 = bad arguments or a failure; 2 = leaked queries refused.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { NEIGHBOUR_K } from "../lib/domain";
import { embeddingSettings } from "../lib/embedding/settings";
import { formatReport } from "../lib/evaluation/format";
import { LeakageError, runEvaluation } from "../lib/evaluation/run";

const USAGE =
  "usage: npm run eval -- --reference <dir> [--reference <dir>] --queries <dir> [--ood <dir>] [--model <dir>] [--k 36] [--age-groups adult,unknown] " +
  "[--out report.json] [--allow-leaks] [--max-hamming 16] [--min-correlation 0.985]";

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${raw}"`);
  return n;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: "string" },
        reference: { type: "string", multiple: true },
        ood: { type: "string" },
        queries: { type: "string" },
        k: { type: "string" },
        out: { type: "string" },
        "age-groups": { type: "string" },
        "allow-leaks": { type: "boolean", default: false },
        "max-hamming": { type: "string" },
        "min-correlation": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 1;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.reference?.length || !values.queries) {
    console.error(`--reference and --queries are required\n${USAGE}`);
    return 1;
  }
  const k = positiveInt("k", values.k, NEIGHBOUR_K);
  if (k < 1) throw new Error("--k must be at least 1");
  const modelDir = values.model ? path.resolve(values.model) : embeddingSettings().modelDir;
  const ageGroups = values["age-groups"]
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);

  try {
    const report = await runEvaluation({
      modelDir,
      referenceDir: values.reference,
      oodDir: values.ood,
      queriesDir: values.queries,
      k,
      allowLeaks: values["allow-leaks"],
      maxHamming: positiveInt("max-hamming", values["max-hamming"], 16),
      minCorrelation: values["min-correlation"] === undefined ? undefined : Number(values["min-correlation"]),
      ageGroups,
      log: (line) => console.error(line),
    });
    console.log(formatReport(report));
    if (values.out) {
      await writeFile(values.out, JSON.stringify(report, null, 2) + "\n");
      console.log(`report: ${path.resolve(values.out)}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof LeakageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
