import { describe, expect, it } from "vitest";
import { detectFileType } from "./detect";
import { readCorpus } from "@/tests/support/image/corpus";

function withDicm(preamble: number[] = []): Buffer {
  const buf = Buffer.alloc(200);
  Buffer.from(preamble).copy(buf, 0);
  buf.write("DICM", 128, "latin1");
  return buf;
}

describe("detectFileType (content only, never the name)", () => {
  it("recognises a real JPEG from the corpus", async () => {
    expect(detectFileType(await readCorpus("nih00013"))).toEqual({ kind: "jpeg" });
  });

  it("recognises PNG by its 8-byte signature", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(detectFileType(png)).toEqual({ kind: "png" });
  });

  it("recognises DICOM by 'DICM' at offset 128, whatever the preamble holds", () => {
    expect(detectFileType(withDicm())).toEqual({ kind: "dicom", preamble: "present" });
    // A preamble that starts like a JPEG or a Windows program is still DICOM: the marker decides.
    expect(detectFileType(withDicm([0xff, 0xd8, 0xff]))).toEqual({ kind: "dicom", preamble: "present" });
    expect(detectFileType(withDicm([0x4d, 0x5a, 0x90, 0x00]))).toEqual({ kind: "dicom", preamble: "present" });
  });

  it("recognises a DICOM stream without preamble only in its explicit-VR shape", () => {
    // (0002,0000) UL 4 ... : the file meta group
    const meta = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c, 0x04, 0x00, 0xc8, 0, 0, 0]);
    expect(detectFileType(meta)).toEqual({ kind: "dicom", preamble: "absent" });
    // (0008,0016) UI ... : a bare data set
    const dataSet = Buffer.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0x1a, 0x00]);
    expect(detectFileType(dataSet)).toEqual({ kind: "dicom", preamble: "absent" });
    // Implicit VR has no signature: refused rather than guessed.
    const implicit = Buffer.from([0x08, 0x00, 0x16, 0x00, 0x1a, 0x00, 0x00, 0x00]);
    expect(detectFileType(implicit).kind).toBe("unsupported");
  });

  it.each([
    ["SVG", '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', "an SVG drawing"],
    ["bare SVG", "<svg width='10' height='10'><rect/></svg>", "an SVG drawing"],
    ["text", "Patient: Jane Doe\nChest X-ray report: no findings.\n", "a text file"],
    ["HTML", "<!DOCTYPE html><html><body>x</body></html>", "a web page (HTML)"],
    ["GIF", "GIF89a\x01\x00\x01\x00", "a GIF image"],
    ["PDF", "%PDF-1.7\n%\xe2\xe3\xcf\xd3", "a PDF document"],
    ["zip", "PK\x03\x04\x14\x00\x00\x00", "a ZIP archive (or an Office document)"],
    ["Windows program", "MZ\x90\x00\x03\x00\x00\x00", "a Windows program"],
    ["empty", "", "an empty file"],
  ])("refuses %s", (_name, content, description) => {
    expect(detectFileType(Buffer.from(content, "latin1"))).toEqual({ kind: "unsupported", description });
  });
});
