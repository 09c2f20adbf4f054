import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeScan } from "./decode";
import { ScanValidationError, type ScanErrorCode } from "./errors";
import { readCorpus } from "@/tests/support/image/corpus";
import { pngWithClaimedSize } from "@/tests/support/image/png";

async function refusal(input: Buffer, limits?: Parameters<typeof decodeScan>[1]): Promise<ScanValidationError> {
  try {
    await decodeScan(input, limits);
  } catch (error) {
    if (error instanceof ScanValidationError) return error;
    throw new Error(`expected a ScanValidationError, got ${String(error)}`);
  }
  throw new Error("expected the input to be refused, but it decoded");
}

async function expectRefused(input: Buffer, code: ScanErrorCode, message: RegExp): Promise<void> {
  const error = await refusal(input);
  expect(error.code).toBe(code);
  expect(error.message).toMatch(message);
}

/** Uniform noise, seeded so a failure can be reproduced. */
function noise16(n: number, seed = 12345): Uint16Array {
  let s = seed;
  return Uint16Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 16;
  });
}

describe("decodeScan refuses bad input with a clear ScanValidationError", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "radtrack-bad-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("an empty file", async () => {
    await expectRefused(Buffer.alloc(0), "empty", /empty/);
  });

  it("a 60 MB file, before looking at its content", async () => {
    const big = Buffer.alloc(60 * 1024 * 1024);
    big.set([0xff, 0xd8, 0xff]);
    await expectRefused(big, "too_large", /This file is 60 MB; the limit is 50 MB per scan\./);
  });

  it("a file over a custom size limit", async () => {
    const error = await refusal(await readCorpus("nih00013"), { maxBytes: 1000 });
    expect(error.code).toBe("too_large");
  });

  it("a truncated JPEG", async () => {
    const bytes = await readCorpus("nih00013");
    await expectRefused(bytes.subarray(0, Math.floor(bytes.length * 0.6)), "corrupt", /damaged or incomplete/);
  });

  it("a text file renamed .png (the name is never consulted)", async () => {
    const file = path.join(dir, "xray.png");
    await writeFile(file, "Patient: Jane Doe\nFindings: none\n");
    await expectRefused(await readFile(file), "unsupported_type", /This file is a text file, not an X-ray image/);
  });

  it("an SVG", async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512"><rect width="512" height="512"/></svg>',
    );
    await expectRefused(svg, "unsupported_type", /SVG drawing/);
  });

  it.each([
    ["GIF", "GIF89a\x01\x00\x01\x00\x00\x00\x00", /GIF image/],
    ["PDF", "%PDF-1.4\n1 0 obj\n", /PDF document/],
    ["zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00", /ZIP archive/],
  ])("a %s", async (_name, content, message) => {
    await expectRefused(Buffer.from(content, "latin1"), "unsupported_type", message);
  });

  it("a PNG whose header claims 60000 x 60000 pixels, from the header alone", async () => {
    const png = pngWithClaimedSize(60000, 60000);
    expect(png.length).toBeLessThan(200); // nothing behind the claim: decoding it would fail as "corrupt", not this
    await expectRefused(
      png,
      "too_many_pixels",
      /^This file is a PNG of 60000 x 60000 pixels \(3600 megapixels\); the limit is 50 megapixels\.$/,
    );
  });

  it("a 16-bit PNG of noise", async () => {
    const png = await sharp(noise16(512 * 512), { raw: { width: 512, height: 512, channels: 1 } })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe("ushort");
    await expectRefused(png, "no_signal", /only random noise/);
  });

  it("an 8-bit JPEG of noise", async () => {
    const pixels = Uint8Array.from(noise16(400 * 300, 7), (v) => v >> 8);
    const jpeg = await sharp(pixels, { raw: { width: 400, height: 300, channels: 1 } })
      .jpeg()
      .toBuffer();
    await expectRefused(jpeg, "no_signal", /only random noise/);
  });

  it("a blank (constant) image", async () => {
    const png = await sharp({ create: { width: 300, height: 300, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    await expectRefused(png, "no_signal", /single flat shade/);
  });

  it("a colour picture that is not an X-ray", async () => {
    // Sky, grass and a red sun: smooth like a photo (so not noise), but clearly coloured.
    const w = 320;
    const h = 240;
    const rgb = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3;
        const sun = (x - 240) ** 2 + (y - 60) ** 2 < 900;
        const [r, g, b] = sun
          ? [230, 40, 30]
          : y < 140
            ? [80 + y / 3, 140 + y / 4, 235]
            : [40 + x / 8, 150 - (y - 140) / 2, 50];
        rgb.set([r, g, b], i);
      }
    }
    const jpeg = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
      .jpeg()
      .toBuffer();
    await expectRefused(jpeg, "not_radiograph", /colour picture .* does not look like an X-ray/);
  });

  it("an image too small to be an X-ray", async () => {
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: "#000" } })
      .png()
      .toBuffer();
    await expectRefused(png, "too_small", /only 16 x 16 pixels/);
  });

  it("a PNG whose data is damaged (bad CRC)", async () => {
    const ref = await sharp(await readCorpus("nih00013"))
      .png()
      .toBuffer();
    const damaged = Buffer.from(ref);
    const at = damaged.length - 100; // inside the last IDAT
    damaged[at] = damaged[at]! ^ 0xff;
    await expectRefused(damaged, "corrupt", /damaged/);
  });
});
