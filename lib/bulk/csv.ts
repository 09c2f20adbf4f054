// RFC 4180 CSV: reading manifests (quoted fields, doubled quotes, CRLF or LF, a UTF-8 byte-order mark) and writing
// reports. Report cells that a spreadsheet would run as a formula (= + - @, tab, carriage return) get a leading
// apostrophe: file names in a report come from the uploader.

export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = "CsvError";
  }
}

/** Rows of fields; each row keeps the line it starts on (1-based). Blank lines are skipped. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === "")) rows.push({ line: rowLine, fields });
    fields = [];
    field = "";
  };
  while (i < src.length) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = src[i];
        if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
          throw new CsvError(`Line ${line}: unexpected text after a closing quote.`, line);
        }
        continue;
      }
      if (c === "\n") line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field.trim() !== "") throw new CsvError(`Line ${line}: a quote in the middle of a field.`, line);
      field = "";
      quoted = true;
      i++;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      i++;
    } else if (c === "\r" || c === "\n") {
      endRow();
      if (c === "\r" && src[i + 1] === "\n") i++;
      i++;
      line++;
      rowLine = line;
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new CsvError(`Line ${rowLine}: a quoted field is never closed.`, rowLine);
  if (field !== "" || fields.length > 0) endRow();
  return rows;
}

function cell(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return `${values.map(cell).join(",")}\r\n`;
}
