// The optional CSV manifest of a bulk upload: one row per file with the patient's MRN, the acquisition date and the
// view. Problems of one row stay with that row (it is refused, the others go ahead); a manifest that cannot be read
// as a whole (no header, no `file` or `mrn` column) refuses the upload.
import { SCAN_VIEWS } from "@/lib/domain";
import { patientFields } from "@/lib/patients/schemas";
import { isoDay } from "@/lib/scans/acquisition-date";
import { CsvError, parseCsv } from "@/lib/csv";

export interface ManifestRow {
  /** Line in the CSV file (1 = header). */
  line: number;
  file: string;
  mrn?: string;
  acquiredAt?: string;
  view?: string;
  problems: string[];
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

const ALIASES: Record<string, "file" | "mrn" | "acquired_at" | "view"> = {
  file: "file",
  filename: "file",
  file_name: "file",
  path: "file",
  mrn: "mrn",
  acquired_at: "acquired_at",
  acquisition_date: "acquired_at",
  date: "acquired_at",
  view: "view",
  view_position: "view",
};

/** A manifest's `file` value as it is matched against upload names: no leading "./", forward slashes. */
export function normaliseFileName(name: string): string {
  return name
    .trim()
    .replace(/\\/g, "/")
    .replace(/^(\.\/)+/, "");
}

export function firstError(result: { success: boolean; error?: { issues: { message: string }[] } }): string {
  return result.error?.issues[0]?.message ?? "is not valid";
}

export function parseManifest(text: string, maxRows: number): ManifestRow[] {
  let rows;
  try {
    rows = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvError) throw new ManifestError(`The manifest is not valid CSV. ${error.message}`);
    throw error;
  }
  if (rows.length === 0) throw new ManifestError("The manifest is empty.");
  const header = rows[0]!.fields.map(
    (h) =>
      ALIASES[
        h
          .trim()
          .toLowerCase()
          .replace(/[\s-]+/g, "_")
      ],
  );
  for (const needed of ["file", "mrn"] as const) {
    if (!header.includes(needed)) {
      throw new ManifestError(
        `The manifest has no "${needed}" column. Its first line must name the columns: mrn, acquired_at, file, view.`,
      );
    }
  }
  // Spreadsheets export empty rows as ",,,": those are not rows.
  const data = rows.slice(1).filter((row) => row.fields.some((f) => f.trim() !== ""));
  if (data.length > maxRows) {
    throw new ManifestError(`The manifest has ${data.length} rows; one upload may hold at most ${maxRows} files.`);
  }
  const col = (name: string) => header.indexOf(name as never);
  return data.map(({ line, fields }) => {
    const problems: string[] = [];
    if (fields.length > header.length)
      problems.push(`Line ${line} has ${fields.length} fields; the header has ${header.length}.`);
    const get = (name: string) => {
      const i = col(name);
      return i < 0 ? "" : (fields[i] ?? "").trim();
    };
    const row: ManifestRow = { line, file: normaliseFileName(get("file")), problems };
    if (!row.file) problems.push("The row names no file.");
    const mrn = get("mrn");
    if (mrn) {
      const parsed = patientFields.mrn.safeParse(mrn);
      if (parsed.success) row.mrn = parsed.data;
      else problems.push(`MRN "${mrn.slice(0, 80)}": ${firstError(parsed)}`);
    }
    const date = get("acquired_at");
    if (date) {
      const parsed = isoDay.safeParse(date);
      if (parsed.success) row.acquiredAt = parsed.data;
      else problems.push(`acquired_at "${date.slice(0, 40)}": ${firstError(parsed)}`);
    }
    const view = get("view");
    if (view) {
      const match = SCAN_VIEWS.find((v) => v.toLowerCase() === view.toLowerCase());
      if (match) row.view = match;
      else problems.push(`view "${view.slice(0, 40)}": use one of ${SCAN_VIEWS.join(", ")}, or leave it blank.`);
    }
    return row;
  });
}
