// The one CSV module. RFC 4180: fields separated by commas, records by CRLF (LF and lone CR accepted too), fields
// optionally quoted with `"`, a quote inside a quoted field doubled. Quoted fields may hold commas and line breaks,
// which is why corpus metadata and manifests cannot be split on newlines. Reads the corpus metadata, bulk manifests
// and evaluation folders; writes reports and exports, escaping cells a spreadsheet would run as formulas. Small
// enough to own; no dependency in node_modules does this.

export class CsvError extends Error {
  override readonly name = "CsvError";

  constructor(
    message: string,
    /** 1-based physical line where the problem was seen. */
    readonly line: number,
  ) {
    super(`Line ${line}: ${message}.`);
  }
}

export interface CsvRecord {
  fields: string[];
  /** 1-based physical line where the record starts: what an editor shows, for skip reasons. */
  line: number;
}

/**
 * Parses the whole text. A byte-order mark is dropped; a final line break is optional; blank lines between records
 * are skipped (they are not records with one empty field in practice). Malformed quoting throws: a half-read file
 * must not turn into half-imported rows.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let recordLine = line;
  let field = "";
  // True once the current record has any content (even an empty quoted field), so a blank line is not a record.
  let started = false;

  const endField = () => {
    fields.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    records.push({ fields, line: recordLine });
    fields = [];
    started = false;
  };

  while (i < text.length) {
    const ch = text[i]!;
    if (!started) {
      recordLine = line;
    }
    if (ch === '"') {
      if (field !== "")
        throw new CsvError('a quote inside an unquoted field (quote the whole field and double the ")', line);
      started = true;
      i++;
      // Quoted field: runs to the next quote that is not doubled.
      for (;;) {
        if (i >= text.length) throw new CsvError("a quoted field is not closed", recordLine);
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
        field += c;
        i++;
      }
      const next = text[i];
      if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
        throw new CsvError("text after the closing quote of a field", line);
      }
      continue;
    }
    if (ch === ",") {
      started = true;
      endField();
      i++;
      continue;
    }
    if (ch === "\r" || ch === "\n") {
      i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
      if (started) endRecord();
      line++;
      continue;
    }
    started = true;
    field += ch;
    i++;
  }
  if (started) endRecord();
  return records;
}

/**
 * Records as objects keyed by the header row. Records with a different number of fields than the header are
 * returned separately, so the caller can report them instead of guessing which column is missing.
 */
export function parseCsvWithHeader(text: string): {
  header: string[];
  rows: { values: Record<string, string>; line: number }[];
  malformed: { line: number; fields: number }[];
} {
  const [head, ...body] = parseCsv(text);
  if (!head) return { header: [], rows: [], malformed: [] };
  const header = head.fields.map((h) => h.trim());
  const rows: { values: Record<string, string>; line: number }[] = [];
  const malformed: { line: number; fields: number }[] = [];
  for (const record of body) {
    if (record.fields.length !== header.length) {
      malformed.push({ line: record.line, fields: record.fields.length });
      continue;
    }
    const values: Record<string, string> = {};
    header.forEach((name, index) => {
      values[name] = record.fields[index]!;
    });
    rows.push({ values, line: record.line });
  }
  return { header, rows, malformed };
}

export type CsvValue = string | number | null | undefined;

/**
 * One cell. Text a spreadsheet would run as a formula (= + - @, tab, carriage return at the start) gets a leading
 * apostrophe: report cells carry file names and other text from users (CSV injection). `formulas: "keep"` is only
 * for data files Radtrack reads back itself (corpus metadata), where "-0.5" must stay a number.
 */
export function csvCell(value: CsvValue, formulas: "escape" | "keep" = "escape"): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (formulas === "escape" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record with its CRLF line break, quoting only fields that need it: the inverse of parseCsv for a record. */
export function csvLine(values: readonly CsvValue[], formulas: "escape" | "keep" = "escape"): string {
  return `${values.map((v) => csvCell(v, formulas)).join(",")}\r\n`;
}
