// Reading an SR back for the tests: the content tree flattened by concept code, with independent checks: DCMTK's
// dsrdump parses the document and checks the SR IOD's relationship constraints, dcmdump parses the data set, and
// dicom3tools' dciodvfy checks the IOD's modules, attribute types and value representations.
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
  /** Lines DCMTK logged as warnings, errors or fatal errors (W:, E:, F:), and dciodvfy's errors and warnings. */
  problems: string[];
}

/**
 * dciodvfy warnings that say nothing wrong: Radtrack's own coding scheme (a private "99" designator, declared in the
 * Coding Scheme Identification Sequence) is not in its list of known schemes.
 */
const KNOWN_DCIODVFY_WARNINGS = [/^Warning - Unrecognized defined term <99RADTRACK> .*<Coding Scheme Designator>$/];

const PACKAGE: Record<string, string> = { dsrdump: "dcmtk", dcmdump: "dcmtk", dciodvfy: "dicom3tools" };

/** Runs a tool; its exit code and output (throws only when it is not installed). */
async function tool(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(name, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code?: number | string; stderr?: string; stdout?: string };
    if (e.code === "ENOENT") throw new Error(`${name} was not found (apt-get install ${PACKAGE[name]})`);
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? e.message };
  }
}

/**
 * Runs dsrdump (verbose, with processing details), dcmdump and dciodvfy on a file. A non-zero exit of any of them is
 * a problem, and so is every warning or error line they print (but the known dciodvfy warnings above).
 */
export async function dcmtkCheck(file: string): Promise<DcmtkReport> {
  const sr = await tool("dsrdump", ["-v", "-Ip", "+Pc", "+Pu", "+Pl", file]);
  const dump = await tool("dcmdump", ["-v", "+L", file]);
  const iod = await tool("dciodvfy", [file]);
  const lines = (r: { stdout: string; stderr: string }) => `${r.stdout}\n${r.stderr}`.split("\n");
  const problems = [
    ...[sr, dump].flatMap((r) => lines(r).filter((line) => /^(W|E|F): /.test(line))),
    ...lines(iod)
      .filter((line) => /^(Error|Warning) - /.test(line))
      .filter((line) => !KNOWN_DCIODVFY_WARNINGS.some((known) => known.test(line))),
    ...[
      ["dsrdump", sr],
      ["dcmdump", dump],
      ["dciodvfy", iod],
    ].flatMap(([name, r]) =>
      (r as { code: number }).code !== 0 ? [`${name as string} exited ${(r as { code: number }).code}`] : [],
    ),
  ];
  return { dsrdump: sr.stdout, dcmdump: dump.stdout, problems };
}
