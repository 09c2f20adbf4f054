// A labelled folder in the corpus format (shared/data/cxr/README.md): metadata.csv, one row per image, the image
// beside it as <id>.jpg. The evaluation needs only a few columns; any folder that has them can be evaluated.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseCsv } from "@/lib/csv";
import { isReferenceClass, type ReferenceClass } from "@/lib/domain";

export interface EvalRow {
  id: string;
  /** Absolute path of `<id>.jpg`. */
  file: string;
  source: string;
  patientId: string;
  /** Patient ids the source says are the same person (notes: "also filed as cohen:N"), this one included. */
  linkedPatientIds: string[];
  offsetDays: number | null;
  severity: ReferenceClass;
  geographicMean: number | null;
  opacityMean: number | null;
  ageGroup: string | null;
  /** Each reader's geographic extent (0-8) when the folder has reader columns (RALO-style). */
  reader1Geographic: number | null;
  reader2Geographic: number | null;
  /** Exam time (ISO, from exam_datetime) to order one patient's films; offsetDays otherwise. */
  examTime: string | null;
}

export interface EvalCorpus {
  dir: string;
  rows: EvalRow[];
  /** Rows left out, with the reason (blank severity, filtered age group, bad id). */
  skipped: { id: string; reason: string }[];
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const LINKED = /also filed as ((?:cohen|mhh|nih|ped):[A-Za-z0-9_.-]+)/g;

function num(v: string | undefined): number | null {
  const t = v?.trim() ?? "";
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

export interface ReadOptions {
  /** Keep only these age groups (blank age group counts as "unknown"); undefined keeps everything. */
  ageGroups?: readonly string[];
}

export function parseEvalCorpus(csv: string, dir: string, options: ReadOptions = {}): EvalCorpus {
  const [header, ...records] = parseCsv(csv).map((r) => r.fields);
  if (!header) throw new Error(`${path.join(dir, "metadata.csv")} is empty`);
  const col = new Map(header.map((name, i) => [name.trim(), i]));
  for (const required of ["id", "source", "patient_id", "severity"]) {
    if (!col.has(required)) throw new Error(`${path.join(dir, "metadata.csv")} lacks the column ${required}`);
  }
  const get = (r: string[], name: string) => {
    const i = col.get(name);
    return i === undefined ? "" : (r[i] ?? "").trim();
  };
  const rows: EvalRow[] = [];
  const skipped: EvalCorpus["skipped"] = [];
  for (const r of records) {
    const id = get(r, "id");
    if (!ID.test(id)) {
      skipped.push({ id, reason: "invalid id" });
      continue;
    }
    const severity = get(r, "severity");
    if (!isReferenceClass(severity)) {
      skipped.push({ id, reason: severity === "" ? "severity unknown" : `severity "${severity}"` });
      continue;
    }
    const ageGroup = get(r, "age_group") || null;
    if (options.ageGroups && !options.ageGroups.includes(ageGroup ?? "unknown")) {
      skipped.push({ id, reason: `age group ${ageGroup ?? "unknown"} filtered out` });
      continue;
    }
    const patientId = get(r, "patient_id") || `image:${id}`;
    const linked = new Set([patientId]);
    for (const m of get(r, "notes").matchAll(LINKED)) linked.add(m[1]!);
    rows.push({
      id,
      file: path.join(dir, `${id}.jpg`),
      source: get(r, "source"),
      patientId,
      linkedPatientIds: [...linked],
      offsetDays: num(get(r, "offset_days")),
      severity,
      geographicMean: num(get(r, "geographic_mean")),
      opacityMean: num(get(r, "opacity_mean")),
      ageGroup,
      reader1Geographic: num(get(r, "reader1_geographic")),
      reader2Geographic: num(get(r, "reader2_geographic")),
      examTime: get(r, "exam_datetime") || null,
    });
  }
  return { dir, rows, skipped };
}

export async function readEvalCorpus(dir: string, options: ReadOptions = {}): Promise<EvalCorpus> {
  const abs = path.resolve(dir);
  const csv = await readFile(path.join(abs, "metadata.csv"), "utf8");
  return parseEvalCorpus(csv, abs, options);
}

/**
 * Groups patient ids that name the same person (a Hannover patient also filed under a Cohen id) and returns a
 * canonical person key per patient id.
 */
export function personKeys(rows: readonly EvalRow[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let p = parent.get(x) ?? x;
    if (p !== x) {
      p = find(p);
      parent.set(x, p);
    }
    return p;
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const r of rows) for (const other of r.linkedPatientIds) union(r.patientId, other);
  const out = new Map<string, string>();
  for (const r of rows) for (const p of r.linkedPatientIds) out.set(p, find(p));
  return out;
}
