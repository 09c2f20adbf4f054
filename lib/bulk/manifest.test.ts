import { describe, expect, it } from "vitest";
import { ManifestError, parseManifest } from "./manifest";
import { unsafeEntryName } from "./zip";

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
