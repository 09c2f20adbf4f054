import { describe, expect, it } from "vitest";
import { CsvError, csvLine, parseCsv, parseCsvWithHeader } from "./csv";

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe("parseCsv (RFC 4180)", () => {
  it("splits plain fields and records, with or without a final line break", () => {
    expect(fields("a,b,c\r\n1,2,3\r\n")).toEqual([
      ["a", "b", "c"],
      ["1", "2", "3"],
    ]);
    expect(fields("a,b\n1,2")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });

  it("keeps empty fields, including trailing ones and empty quoted ones", () => {
    expect(fields('a,,c,\n"",x,"",\n')).toEqual([
      ["a", "", "c", ""],
      ["", "x", "", ""],
    ]);
  });

  it("reads quoted fields holding commas, doubled quotes and line breaks", () => {
    const text = 'id,notes\r\nx1,"COVID-19, ARDS"\r\nx2,"said ""hello""\r\nsecond line\nthird"\r\nx3,end\r\n';
    const records = parseCsv(text);
    expect(records.map((r) => r.fields)).toEqual([
      ["id", "notes"],
      ["x1", "COVID-19, ARDS"],
      ["x2", 'said "hello"\r\nsecond line\nthird'],
      ["x3", "end"],
    ]);
    // Line numbers are physical lines, so a record after a multi-line field is reported where an editor shows it.
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 6]);
  });

  it("drops a byte-order mark and skips blank lines", () => {
    expect(fields("\uFEFFa,b\n\n1,2\n\n")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });

  it("accepts lone CR line breaks", () => {
    expect(fields("a,b\r1,2\r")).toEqual([
      ["a", "b"],
      ["1", "2"],
    ]);
  });

  it("refuses malformed quoting instead of guessing", () => {
    expect(() => parseCsv('a,"open\n1,2')).toThrow(CsvError);
    expect(() => parseCsv('a,"x"y\n')).toThrow(/after the closing quote/);
    expect(() => parseCsv('a,b"c"\n')).toThrow(/quote inside an unquoted field/);
  });

  it("round-trips through csvLine", () => {
    const record = ["plain", "with,comma", 'with "quote"', "multi\r\nline", "", "-0.5"];
    expect(fields(csvLine(record, "keep"))).toEqual([record]);
  });

  it("reads quoted fields, doubled quotes, CRLF, a byte-order mark and skips blank lines", () => {
    const text = '\uFEFFmrn,file\r\n"A,1","say ""hi""\nthere"\r\n\r\nB,b.jpg';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ["mrn", "file"] },
      { line: 2, fields: ["A,1", 'say "hi"\nthere'] },
      { line: 5, fields: ["B", "b.jpg"] },
    ]);
  });

  it("refuses an unclosed quote with its line", () => {
    expect(() => parseCsv('a,b\n"open,x\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\n"open,x\n')).toThrow(/Line 2/);
  });

  it("writes cells a spreadsheet will not run as formulas", () => {
    expect(csvLine(['=HYPERLINK("x")', "+1", "-2", "@cmd", "plain", null, 3])).toBe(
      `"'=HYPERLINK(""x"")",'+1,'-2,'@cmd,plain,,3\r\n`,
    );
  });
});

describe("parseCsvWithHeader", () => {
  it("keys rows by header and sets aside rows with the wrong number of fields", () => {
    const { header, rows, malformed } = parseCsvWithHeader("id,severity\nx1,healthy\nx2\nx3,severe,extra\n");
    expect(header).toEqual(["id", "severity"]);
    expect(rows.map((r) => r.values)).toEqual([{ id: "x1", severity: "healthy" }]);
    expect(malformed).toEqual([
      { line: 3, fields: 1 },
      { line: 4, fields: 3 },
    ]);
  });
});
