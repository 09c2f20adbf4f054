// The corpus format (shared/data/cxr/README.md): metadata.csv with one row per image, the image beside it as
// <id>.jpg. This module turns the CSV into typed rows and nothing else; what to import is decided in plan.ts.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseCsvWithHeader } from "@/lib/csv";

export interface CorpusRow {
  /** Corpus id; the image is `<id>.jpg`. */
  id: string;
  /** 1-based line of the row in metadata.csv. */
  line: number;
  source: string;
  sourceFile: string;
  /** Prefixed with the source (`cohen:`, `nih:`, `mhh:`, `ped:`). */
  patientId: string;
  /** Days since onset or admission; null when the source gives none. */
  offsetDays: number | null;
  view: string | null;
  finding: string | null;
  /** Raw severity text: healthy / infected / severe, or blank when unknown. */
  severity: string;
  geographicMean: number | null;
  opacityMean: number | null;
  /** As in the CSV: M / F / blank. */
  sex: string;
  ageGroup: string | null;
  license: string | null;
  notes: string;
}

export interface CorpusMetadata {
  dir: string;
  rows: CorpusRow[];
  /** Rows that could not be read as a row (wrong field count, bad id): never imported, always reported. */
  rejected: { line: number; id: string | null; reason: string }[];
}

export const METADATA_FILE = "metadata.csv";

const REQUIRED = ["id", "source", "patient_id", "severity"] as const;

// Ids become file names: anything but letters and digits could climb out of the corpus folder.
const ID = /^[A-Za-z0-9_-]{1,64}$/;

function text(value: string | undefined): string | null {
  const v = value?.trim() ?? "";
  return v === "" ? null : v;
}

function number(value: string | undefined): number | null {
  const v = text(value);
  if (v === null) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function imagePath(dir: string, id: string): string {
  if (!ID.test(id)) throw new Error(`not a corpus id: ${id}`);
  return path.join(dir, `${id}.jpg`);
}

export function parseMetadata(csv: string, dir: string): CorpusMetadata {
  const { header, rows, malformed } = parseCsvWithHeader(csv);
  const missing = REQUIRED.filter((name) => !header.includes(name));
  if (missing.length > 0) {
    throw new Error(`${path.join(dir, METADATA_FILE)} lacks the column(s) ${missing.join(", ")}`);
  }
  const rejected: CorpusMetadata["rejected"] = malformed.map((m) => ({
    line: m.line,
    id: null,
    reason: `malformed row (${m.fields} fields, header has ${header.length})`,
  }));
  const out: CorpusRow[] = [];
  const seen = new Set<string>();
  for (const { values: v, line } of rows) {
    const id = v.id?.trim() ?? "";
    if (!ID.test(id)) {
      rejected.push({ line, id: id || null, reason: "invalid id" });
      continue;
    }
    if (seen.has(id)) {
      rejected.push({ line, id, reason: "duplicate id" });
      continue;
    }
    seen.add(id);
    out.push({
      id,
      line,
      source: v.source?.trim() ?? "",
      sourceFile: v.source_file?.trim() ?? "",
      patientId: v.patient_id?.trim() ?? "",
      offsetDays: number(v.offset_days),
      view: text(v.view),
      finding: text(v.finding),
      severity: v.severity?.trim().toLowerCase() ?? "",
      geographicMean: number(v.geographic_mean),
      opacityMean: number(v.opacity_mean),
      sex: v.sex?.trim() ?? "",
      ageGroup: text(v.age_group)?.toLowerCase() ?? null,
      license: text(v.license),
      notes: v.notes?.trim() ?? "",
    });
  }
  return { dir, rows: out, rejected };
}

export async function readMetadata(dir: string): Promise<CorpusMetadata> {
  const file = path.join(dir, METADATA_FILE);
  let csv: string;
  try {
    csv = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(
      `Cannot read ${file}: ${(error as Error).message}. Is this a corpus folder (metadata.csv + <id>.jpg)?`,
    );
  }
  return parseMetadata(csv, dir);
}
