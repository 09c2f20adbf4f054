import { describe, expect, it } from "vitest";
import { csvLine, CsvError, parseCsv } from "./csv";
import { ManifestError, parseManifest } from "./manifest";
import { unsafeEntryName } from "./zip";

describe("CSV", () => {
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

describe("manifest", () => {
  it("maps header aliases, canonical views and per-row problems", () => {
    const rows = parseManifest("MRN,Acquisition Date,File Name,View\nA-1,2024-01-02,./x/a.jpg,ap supine\n,,,\n", 10);
    expect(rows).toEqual([
      { line: 2, file: "x/a.jpg", mrn: "A-1", acquiredAt: "2024-01-02", view: "AP Supine", problems: [] },
    ]);
  });

  it("refuses a manifest without a file or mrn column, or with too many rows", () => {
    expect(() => parseManifest("mrn,date\nA,2024-01-01\n", 10)).toThrow(ManifestError);
    expect(() => parseManifest("file\na.jpg\n", 10)).toThrow(/no "mrn" column/);
    expect(() => parseManifest("mrn,file\nA,a\nA,b\nA,c\n", 2)).toThrow(/3 rows; one upload may hold at most 2/);
  });
});

describe("zip entry names", () => {
  it.each([
    ["../x.jpg", /climbs out/],
    ["a/../../x.jpg", /climbs out/],
    ["/etc/x.jpg", /absolute path/],
    ["C:x.jpg", /drive letter/],
    ["a\\b.jpg", /backslashes/],
    ["a\u0000.jpg", /control characters/],
  ])("refuses %j", (name, reason) => {
    expect(unsafeEntryName(name)).toMatch(reason);
  });

  it.each(["a.jpg", "dir/sub/a.dcm", "..a.jpg", "a..b/c.png"])("accepts %j", (name) => {
    expect(unsafeEntryName(name)).toBeNull();
  });
});
