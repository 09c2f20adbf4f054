// Reading an SR back for the tests: the content tree flattened by concept code, with an independent check by DCMTK
// (dsrdump parses the document and checks the SR IOD's relationship constraints; dcmdump parses the data set).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import dcmjs, { type NaturalDataset } from "dcmjs";

const run = promisify(execFile);
const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

export interface ReadSr {
  dataset: NaturalDataset;
  /** NUM items by concept code value. */
  nums: Map<string, { value: number; unit: string }>;
  /** CODE items: concept code value -> the coded value. */
  codes: Map<string, string>;
  /** TEXT items by concept code value. */
  texts: Map<string, string>;
  /** SOP Instance UIDs of IMAGE items. */
  images: string[];
}

const asArray = (v: unknown): NaturalDataset[] => (Array.isArray(v) ? v : v ? [v] : []) as NaturalDataset[];
const conceptOf = (item: NaturalDataset) => String(asArray(item.ConceptNameCodeSequence)[0]?.CodeValue ?? "");

export function readSr(bytes: Uint8Array): ReadSr {
  const file = DicomMessage.readFile(new Uint8Array(bytes).buffer);
  const dataset = DicomMetaDictionary.naturalizeDataset(file.dict);
  const out: ReadSr = { dataset, nums: new Map(), codes: new Map(), texts: new Map(), images: [] };
  const walk = (items: NaturalDataset[]) => {
    for (const item of items) {
      const concept = conceptOf(item);
      if (item.ValueType === "NUM") {
        const measured = asArray(item.MeasuredValueSequence)[0]!;
        const unit = asArray(measured.MeasurementUnitsCodeSequence)[0]!;
        out.nums.set(concept, { value: Number(measured.NumericValue), unit: String(unit.CodeValue) });
      } else if (item.ValueType === "CODE") {
        out.codes.set(concept, String(asArray(item.ConceptCodeSequence)[0]?.CodeValue));
      } else if (item.ValueType === "TEXT") {
        out.texts.set(concept, String(item.TextValue));
      } else if (item.ValueType === "IMAGE") {
        out.images.push(String(asArray(item.ReferencedSOPSequence)[0]?.ReferencedSOPInstanceUID));
      }
      walk(asArray(item.ContentSequence));
    }
  };
  walk(asArray(dataset.ContentSequence));
  return out;
}

export interface DcmtkReport {
  dsrdump: string;
  dcmdump: string;
  /** Lines DCMTK logged as warnings, errors or fatal errors (W:, E:, F:). */
  problems: string[];
}

/** Runs dsrdump (verbose, with processing details) and dcmdump on a file; throws when either exits non-zero. */
export async function dcmtkCheck(file: string): Promise<DcmtkReport> {
  const tool = async (name: string, args: string[]) => {
    try {
      const { stdout, stderr } = await run(name, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
      return { stdout, stderr };
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { stderr?: string; stdout?: string };
      if (e.code === "ENOENT") throw new Error(`DCMTK's ${name} was not found (apt-get install dcmtk)`);
      throw new Error(`${name} ${args.join(" ")} exited with an error: ${e.stderr || e.stdout || e.message}`);
    }
  };
  const sr = await tool("dsrdump", ["-v", "-Ip", "+Pc", "+Pu", "+Pl", file]);
  const dump = await tool("dcmdump", ["-v", "+L", file]);
  const problems = [sr.stdout, sr.stderr, dump.stdout, dump.stderr]
    .join("\n")
    .split("\n")
    .filter((line) => /^(W|E|F): /.test(line));
  return { dsrdump: sr.stdout, dcmdump: dump.stdout, problems };
}
