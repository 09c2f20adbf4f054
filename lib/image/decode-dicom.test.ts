// DICOM decoding against files written by DCMTK (an independent implementation) from real corpus X-rays.
// Reference = the source JPEG decoded directly by sharp, so every row below measures the whole chain: parsing,
// decompression, bit layout, rescale, window and inversion.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeScan } from "./decode";
import { ScanValidationError } from "./errors";
import { corpusPath, diffStats, percentileStretch, referenceGrey, type GreyImage } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";

const TS = {
  implicit: "1.2.840.10008.1.2",
  explicit: "1.2.840.10008.1.2.1",
  deflated: "1.2.840.10008.1.2.1.99",
  bigEndian: "1.2.840.10008.1.2.2",
  baseline: "1.2.840.10008.1.2.4.50",
  extended: "1.2.840.10008.1.2.4.51",
  lossless57: "1.2.840.10008.1.2.4.57",
  lossless70: "1.2.840.10008.1.2.4.70",
  jpegLs: "1.2.840.10008.1.2.4.80",
  jpegLsNear: "1.2.840.10008.1.2.4.81",
  j2kLossless: "1.2.840.10008.1.2.4.90",
  j2k: "1.2.840.10008.1.2.4.91",
  htj2kLossless: "1.2.840.10008.1.2.4.201",
  rle: "1.2.840.10008.1.2.5",
} as const;

let fx: FixtureDir;
let ref: GreyImage; // coh00121: 509 x 512 (odd width), grey 17..255
let ref2: GreyImage; // coh00001: 512 x 440, grey 0..255 (for lossy re-encoding, see below)

/**
 * 16-bit signed MONOCHROME1 with rescale and a window chosen so that the displayed result is exactly the source:
 * stored s = (255 - v) * 16 - 2048 (12 bits stored, signed), modality m = 0.5 s + 100, window centre 96.5 /
 * width 2041 maps m linearly onto 0..255, and MONOCHROME1 inverts it back to v.
 */
function signed12BitAttributes(width: number, height: number, withWindow: boolean): string[] {
  return [
    "(0008,0005) CS [ISO_IR 192]",
    "(0008,0016) UI =DigitalXRayImageStorageForPresentation",
    "(0008,0060) CS [DX]",
    "(0008,0020) DA [20240105]",
    "(0008,0023) DA [20240106]",
    "(0008,0022) DA [20240107]",
    "(0010,0010) PN [Müller^Jürgen]",
    "(0010,0020) LO [P-0042]",
    "(0018,5101) CS [AP]",
    "(0028,0002) US 1",
    "(0028,0004) CS [MONOCHROME1]",
    `(0028,0010) US ${height}`,
    `(0028,0011) US ${width}`,
    "(0028,0100) US 16",
    "(0028,0101) US 12",
    "(0028,0102) US 11",
    "(0028,0103) US 1",
    "(0028,1052) DS [100]",
    "(0028,1053) DS [0.5]",
    ...(withWindow ? ["(0028,1050) DS [96.5]", "(0028,1051) DS [2041]"] : []),
  ];
}

function signed12BitPixels(grey: Uint8Array): Uint8Array {
  const stored = Int16Array.from(grey, (v) => (255 - v) * 16 - 2048);
  return new Uint8Array(stored.buffer);
}

async function decodeFixture(name: string) {
  return decodeScan(await fx.read(name));
}

async function refusal(name: string | Buffer): Promise<ScanValidationError> {
  try {
    await decodeScan(typeof name === "string" ? await fx.read(name) : name);
  } catch (error) {
    if (error instanceof ScanValidationError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

beforeAll(async () => {
  fx = await FixtureDir.create();
  const src = corpusPath("coh00121");
  ref = await referenceGrey(src);
  ref2 = await referenceGrey(corpusPath("coh00001"));

  await fx.img2dcm(src, "baseline.dcm", {
    PatientName: "DOE^JANE",
    PatientID: "MRN-123",
    StudyDate: "20240301",
    ContentDate: "20240302",
    ViewPosition: "PA",
    Modality: "CR",
  });
  await fx.convert("dcmdjpeg", [], "baseline.dcm", "explicit.dcm");
  await Promise.all([
    fx.convert("dcmconv", ["+ti"], "explicit.dcm", "implicit.dcm"),
    fx.convert("dcmconv", ["+td"], "explicit.dcm", "deflated.dcm"),
    fx.convert("dcmconv", ["+tb"], "explicit.dcm", "big-endian.dcm"),
    fx.convert("dcmconv", ["-F", "+te"], "explicit.dcm", "dataset-only.dcm"),
    fx.convert("dcmcjpeg", ["+e1"], "explicit.dcm", "lossless-70.dcm"),
    fx.convert("dcmcjpeg", ["+el"], "explicit.dcm", "lossless-57.dcm"),
    fx.convert("dcmcjpls", [], "explicit.dcm", "jpeg-ls.dcm"),
    fx.convert("dcmcjpls", ["+en"], "explicit.dcm", "jpeg-ls-near.dcm"),
    fx.convert("dcmcrle", [], "explicit.dcm", "rle.dcm"),
    fx.modify("explicit.dcm", "mono1.dcm", ["(0028,0004)=MONOCHROME1"]),
  ]);
  await fx.transcodeWithDcmjsCodecs("explicit.dcm", "j2k-lossless.dcm", TS.j2kLossless);
  await fx.transcodeWithDcmjsCodecs("explicit.dcm", "j2k.dcm", TS.j2k);
  await fx.transcodeWithDcmjsCodecs("explicit.dcm", "htj2k-lossless.dcm", TS.htj2kLossless);

  // Lossy re-encoding by DCMTK. DCMTK's lossy path shifts images whose darkest pixel is not 0 down to 0
  // (coh00121 would come back 17 levels darker, in DCMTK's own decoder too), so this uses coh00001, which spans 0..255.
  await fx.img2dcm(corpusPath("coh00001"), "b2-source.dcm");
  await fx.convert("dcmdjpeg", [], "b2-source.dcm", "b2-explicit.dcm");
  await fx.convert("dcmcjpeg", ["+eb"], "b2-explicit.dcm", "baseline-reencoded.dcm");
  await fx.convert("dcmdjpeg", [], "baseline-reencoded.dcm", "baseline-reencoded-dcmtk-decoded.dcm");

  await fx.dump2dcm("s16.dcm", signed12BitAttributes(ref.width, ref.height, true), signed12BitPixels(ref.pixels));
  await fx.dump2dcm(
    "s16-nowindow.dcm",
    signed12BitAttributes(ref.width, ref.height, false),
    signed12BitPixels(ref.pixels),
  );
  await Promise.all([
    fx.convert("dcmcjpeg", ["+e1"], "s16.dcm", "s16-lossless-70.dcm"),
    fx.convert("dcmcjpeg", ["+ee"], "s16.dcm", "s16-extended-51.dcm"),
    fx.convert("dcmcjpls", [], "s16.dcm", "s16-jpeg-ls.dcm"),
    fx.convert("dcmcrle", [], "s16.dcm", "s16-rle.dcm"),
  ]);
  await fx.transcodeWithDcmjsCodecs("s16.dcm", "s16-j2k-lossless.dcm", TS.j2kLossless);
}, 120_000);

afterAll(async () => {
  await fx?.remove();
});

describe("decodeScan: DICOM transfer syntaxes (8-bit MONOCHROME2, DCMTK from corpus coh00121)", () => {
  // [fixture, transfer syntax, max abs diff, mean abs diff] against the source JPEG's pixels.
  const cases: [string, string, number, number][] = [
    ["baseline.dcm", TS.baseline, 0, 0], // img2dcm keeps the JPEG bitstream: same decoder, same pixels
    ["explicit.dcm", TS.explicit, 0, 0], // DCMTK's own JPEG decoder agreed with sharp to the last bit
    ["implicit.dcm", TS.implicit, 0, 0],
    ["deflated.dcm", TS.deflated, 0, 0],
    ["big-endian.dcm", TS.bigEndian, 0, 0],
    ["lossless-70.dcm", TS.lossless70, 0, 0],
    ["lossless-57.dcm", TS.lossless57, 0, 0],
    ["jpeg-ls.dcm", TS.jpegLs, 0, 0],
    ["jpeg-ls-near.dcm", TS.jpegLsNear, 2, 1.5], // NEAR = 2: no pixel may move more than 2 levels
    ["rle.dcm", TS.rle, 0, 0],
    ["j2k-lossless.dcm (encoded by dcmjs-codecs)", TS.j2kLossless, 0, 0],
    ["htj2k-lossless.dcm (encoded by dcmjs-codecs)", TS.htj2kLossless, 0, 0],
    ["j2k.dcm (encoded by dcmjs-codecs, rate 20)", TS.j2k, 40, 3],
  ];

  it.each(cases)("%s (%s) matches the source within max %i / mean %d", async (label, uid, maxAbs, meanAbs) => {
    const scan = await decodeFixture(label.split(" ")[0]!);
    expect(scan).toMatchObject({ format: "dicom", width: 509, height: 512, sourceBitDepth: 8 });
    expect(scan.dicom?.transferSyntaxUid).toBe(uid);
    const diff = diffStats(scan.pixels, ref.pixels);
    expect(diff.maxAbs).toBeLessThanOrEqual(maxAbs);
    expect(diff.meanAbs).toBeLessThanOrEqual(meanAbs);
  });

  it("JPEG baseline re-encoded by DCMTK (quality 90): close to the source, and to DCMTK's own decoding", async () => {
    const scan = await decodeFixture("baseline-reencoded.dcm");
    expect(scan.dicom?.transferSyntaxUid).toBe(TS.baseline);
    const vsSource = diffStats(scan.pixels, ref2.pixels);
    expect(vsSource.meanAbs).toBeLessThan(1);
    expect(vsSource.maxAbs).toBeLessThanOrEqual(20);
    // Same compressed bits, two decoders (libjpeg-turbo in sharp, IJG in DCMTK): at most one level apart.
    const dcmtkDecoded = await decodeFixture("baseline-reencoded-dcmtk-decoded.dcm");
    expect(diffStats(scan.pixels, dcmtkDecoded.pixels).maxAbs).toBeLessThanOrEqual(1);
  });

  it("MONOCHROME1 (photometric flipped with dcmodify) shows the inverted image", async () => {
    const scan = await decodeFixture("mono1.dcm");
    expect(scan.dicom?.photometric).toBe("MONOCHROME1");
    expect(
      diffStats(
        scan.pixels,
        Uint8Array.from(ref.pixels, (v) => 255 - v),
      ).maxAbs,
    ).toBe(0);
  });

  it("reads patient, date, view and modality tags", async () => {
    const scan = await decodeFixture("baseline.dcm");
    expect(scan.dicom).toEqual({
      transferSyntaxUid: TS.baseline,
      transferSyntaxName: "JPEG Baseline (lossy, 8-bit)",
      photometric: "MONOCHROME2",
      patientId: "MRN-123",
      patientName: "DOE^JANE",
      acquisition: { tag: "ContentDate", date: "20240302" }, // no AcquisitionDate: ContentDate wins over StudyDate
      viewPosition: "PA",
      modality: "CR",
      hadPreamble: false,
      executablePreamble: false,
    });
  });
});

describe("decodeScan: 16-bit signed MONOCHROME1 with rescale and window (DCMTK dump2dcm)", () => {
  const cases: [string, string, number, number][] = [
    ["s16.dcm", TS.explicit, 0, 0],
    ["s16-lossless-70.dcm", TS.lossless70, 0, 0],
    ["s16-jpeg-ls.dcm", TS.jpegLs, 0, 0],
    ["s16-rle.dcm", TS.rle, 0, 0],
    ["s16-j2k-lossless.dcm", TS.j2kLossless, 0, 0],
    // 12-bit lossy JPEG: 16 stored levels per display level, so small errors vanish in the window.
    ["s16-extended-51.dcm", TS.extended, 1, 0.1],
  ];

  it.each(cases)("%s (%s): max %i / mean %d against the source", async (name, uid, maxAbs, meanAbs) => {
    const scan = await decodeFixture(name);
    expect(scan).toMatchObject({ format: "dicom", width: 509, height: 512, sourceBitDepth: 12 });
    expect(scan.dicom?.transferSyntaxUid).toBe(uid);
    const diff = diffStats(scan.pixels, ref.pixels);
    expect(diff.maxAbs).toBeLessThanOrEqual(maxAbs);
    expect(diff.meanAbs).toBeLessThanOrEqual(meanAbs);
  });

  it("without a window in the file, applies the 0.5-99.5 percentile window to the rescaled values", async () => {
    const scan = await decodeFixture("s16-nowindow.dcm");
    // Modality values are a decreasing linear function of the source grey, and MONOCHROME1 inverts, so the result is
    // the source stretched by its own percentiles (independent, sort-based implementation).
    expect(diffStats(scan.pixels, percentileStretch(ref.pixels)).maxAbs).toBeLessThanOrEqual(1);
  });

  it("decodes the name with the file's character set (UTF-8) and prefers AcquisitionDate", async () => {
    const scan = await decodeFixture("s16.dcm");
    expect(scan.dicom).toMatchObject({
      patientName: "Müller^Jürgen",
      patientId: "P-0042",
      acquisition: { tag: "AcquisitionDate", date: "20240107" },
      viewPosition: "AP",
      modality: "DX",
      photometric: "MONOCHROME1",
    });
  });
});

describe("decodeScan: DICOM preamble and framing", () => {
  it("accepts a DICOM whose preamble carries a Windows executable, as pixels only", async () => {
    const bytes = await fx.read("explicit.dcm");
    const hostile = Buffer.from(bytes);
    hostile.fill(0, 0, 128);
    hostile.write("MZ\x90\x00This program cannot be run in DOS mode.", 0, "latin1");
    const scan = await decodeScan(hostile);
    expect(scan.dicom).toMatchObject({ hadPreamble: true, executablePreamble: true });
    expect(diffStats(scan.pixels, ref.pixels).maxAbs).toBe(0);
    // The result holds fresh pixels only: no view onto the uploaded bytes.
    expect(scan.pixels.buffer).not.toBe(hostile.buffer);
    expect(Object.values(scan).some((v) => Buffer.isBuffer(v))).toBe(false);
  });

  it("flags an ELF preamble too, and a non-executable one only as 'had a preamble'", async () => {
    const bytes = await fx.read("explicit.dcm");
    const elf = Buffer.from(bytes);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    expect((await decodeScan(elf)).dicom).toMatchObject({ hadPreamble: true, executablePreamble: true });
    const tiff = Buffer.from(bytes);
    tiff.set([0x49, 0x49, 0x2a, 0x00], 0);
    expect((await decodeScan(tiff)).dicom).toMatchObject({ hadPreamble: true, executablePreamble: false });
  });

  it("reads a DICOM stream without preamble: meta group first, or a bare data set", async () => {
    const withoutPreamble = (await fx.read("explicit.dcm")).subarray(132);
    const a = await decodeScan(Buffer.from(withoutPreamble));
    expect(a.dicom).toMatchObject({ transferSyntaxUid: TS.explicit, hadPreamble: false });
    expect(diffStats(a.pixels, ref.pixels).maxAbs).toBe(0);
    const b = await decodeFixture("dataset-only.dcm");
    expect(diffStats(b.pixels, ref.pixels).maxAbs).toBe(0);
  });
});

describe("decodeScan: colour DICOM", () => {
  let colourXray: Buffer;
  beforeAll(async () => {
    const overlay = Buffer.from(
      `<svg width="${ref.width}" height="${ref.height}"><polygon points="300,100 360,120 330,130 400,200 390,210" fill="red"/></svg>`,
    );
    colourXray = await sharp(corpusPath("coh00121"))
      .toColourspace("srgb")
      .composite([{ input: overlay }])
      .jpeg({ quality: 92 })
      .toBuffer();
    await sharp(colourXray).toFile(fx.file("colour-xray.jpg"));
    await fx.img2dcm(fx.file("colour-xray.jpg"), "colour-ybr422.dcm");
    await fx.convert("dcmdjpeg", [], "colour-ybr422.dcm", "colour-rgb.dcm");
    await fx.convert("dcmcrle", [], "colour-rgb.dcm", "colour-rle.dcm");
    await fx.modify("colour-rle.dcm", "colour-rle-planar.dcm", ["(0028,0006)=1"]);

    const rgb = Buffer.alloc(256 * 256 * 3);
    for (let i = 0; i < 256 * 256; i++) rgb.set([(i % 256) | 0, 255 - ((i / 256) | 0), 60], i * 3);
    await sharp(rgb, { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg()
      .toFile(fx.file("colour-photo.jpg"));
    await fx.img2dcm(fx.file("colour-photo.jpg"), "colour-photo.dcm");
  });

  it.each(["colour-ybr422.dcm", "colour-rgb.dcm", "colour-rle.dcm", "colour-rle-planar.dcm"])(
    "%s: an X-ray stored in colour becomes grey (mean diff < 1.5 to the grey source)",
    async (name) => {
      const scan = await decodeFixture(name);
      expect(diffStats(scan.pixels, ref.pixels).meanAbs).toBeLessThan(1.5);
    },
  );

  it("refuses a colour picture wrapped in DICOM", async () => {
    const error = await refusal("colour-photo.dcm");
    expect(error.code).toBe("not_radiograph");
    expect(error.message).toMatch(/This DICOM image is a colour picture/);
  });
});

describe("decodeScan: DICOM refusals", () => {
  it("multi-frame", async () => {
    const frames = new Uint8Array(64 * 64 * 2).map((_, i) => i % 251);
    await fx.dump2dcm(
      "multi.dcm",
      [
        "(0008,0016) UI =SecondaryCaptureImageStorage",
        "(0028,0002) US 1",
        "(0028,0004) CS [MONOCHROME2]",
        "(0028,0008) IS [2]",
        "(0028,0010) US 64",
        "(0028,0011) US 64",
        "(0028,0100) US 8",
        "(0028,0101) US 8",
        "(0028,0102) US 7",
        "(0028,0103) US 0",
      ],
      frames,
    );
    const error = await refusal("multi.dcm");
    expect(error.code).toBe("multi_frame");
    expect(error.message).toBe(
      "This DICOM file holds 2 images (frames); Radtrack takes one X-ray per file. Please export the single image you want to add.",
    );
  });

  it("no pixel data (e.g. a report)", async () => {
    await fx.dump2dcm("no-image.dcm", ["(0008,0016) UI =BasicTextSRStorage", "(0008,0060) CS [SR]"], undefined);
    const error = await refusal("no-image.dcm");
    expect(error.code).toBe("no_image");
  });

  it("too many pixels, from Rows x Columns before decoding", async () => {
    const error = await decodeScan(await fx.read("jpeg-ls.dcm"), { maxPixels: 100_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScanValidationError);
    expect((error as ScanValidationError).code).toBe("too_many_pixels");
    expect((error as ScanValidationError).message).toMatch(
      /a DICOM image of 509 x 512 pixels \(0\.3 megapixels\); the limit is 0\.1 megapixels/,
    );
  });

  it("an unsupported transfer syntax, by name", async () => {
    const bytes = Buffer.from(await fx.read("baseline.dcm"));
    const at = bytes.indexOf(TS.baseline, 0, "latin1");
    bytes.write("1.2.840.10008.1.2.4.92", at, "latin1"); // same length: JPEG 2000 Part 2 multi-component
    const error = await refusal(bytes);
    expect(error.code).toBe("unsupported_transfer_syntax");
    expect(error.message).toMatch(/encoded as JPEG 2000 Part 2 multi-component/);
  });

  it("a truncated file", async () => {
    const bytes = await fx.read("explicit.dcm");
    const error = await refusal(bytes.subarray(0, bytes.length - 50_000));
    expect(error.code).toBe("corrupt");
  });

  it("stays responsive after many damaged JPEG-LS frames (decoder traps reset the codec module)", async () => {
    const good = await fx.read("jpeg-ls.dcm");
    const damaged = Buffer.from(good);
    damaged.fill(0x07, 1000, damaged.length - 1000);
    // Without the reset the WASM module hung forever after a few dozen traps; 60 is past that point.
    for (let i = 0; i < 60; i++) expect((await refusal(damaged)).code).toBe("corrupt");
    expect(diffStats((await decodeScan(good)).pixels, ref.pixels).maxAbs).toBe(0);
  }, 60_000);
});
