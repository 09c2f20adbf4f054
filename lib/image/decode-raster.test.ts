import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeScan } from "./decode";
import { correlation, diffStats, percentileStretch, readCorpus, referenceGrey } from "@/tests/support/image/corpus";

describe("decodeScan: JPEG and PNG from the corpus", () => {
  it("decodes corpus JPEGs from every source to exactly the reference pixels", async () => {
    for (const id of ["coh00121", "mhh00037", "nih00013", "ped00036"]) {
      const bytes = await readCorpus(id);
      const ref = await referenceGrey(bytes);
      const scan = await decodeScan(bytes);
      expect(scan).toMatchObject({ format: "jpeg", width: ref.width, height: ref.height, sourceBitDepth: 8 });
      expect(scan.dicom).toBeUndefined();
      expect(diffStats(scan.pixels, ref.pixels).maxAbs).toBe(0);
    }
  });

  it("decodes an 8-bit PNG made from a corpus X-ray to the same pixels", async () => {
    const ref = await referenceGrey(await readCorpus("nih00053"));
    const png = await sharp(ref.pixels, { raw: { width: ref.width, height: ref.height, channels: 1 } })
      .png()
      .toBuffer();
    const scan = await decodeScan(png);
    expect(scan).toMatchObject({ format: "png", width: ref.width, height: ref.height, sourceBitDepth: 8 });
    expect(diffStats(scan.pixels, ref.pixels).maxAbs).toBe(0);
  });

  it("windows a 16-bit PNG of a real X-ray by its 0.5-99.5 percentiles (as the corpus was made)", async () => {
    // coh00121 spans 17..255, so the window visibly stretches it: the test would notice a plain >> 8.
    const ref = await referenceGrey(await readCorpus("coh00121"));
    const wide = Uint16Array.from(ref.pixels, (v) => v * 257);
    const png16 = await sharp(wide, { raw: { width: ref.width, height: ref.height, channels: 1 } })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe("ushort");

    const scan = await decodeScan(png16);
    expect(scan).toMatchObject({ format: "png", width: ref.width, height: ref.height, sourceBitDepth: 16 });
    // Exact to an independent (sort-based) percentile window, and nearly the same image as the 8-bit source.
    expect(diffStats(scan.pixels, percentileStretch(wide)).maxAbs).toBeLessThanOrEqual(1);
    expect(correlation(scan.pixels, ref.pixels)).toBeGreaterThan(0.999);
  });

  it("accepts an X-ray saved as colour JPEG with a red arrow and a yellow label, as grey", async () => {
    const bytes = await readCorpus("coh00121");
    const ref = await referenceGrey(bytes);
    const overlay = Buffer.from(
      `<svg width="${ref.width}" height="${ref.height}"><polygon points="300,100 360,120 330,130 400,200 390,210 320,140 310,170" fill="red"/>` +
        `<text x="20" y="40" font-size="30" fill="yellow">R</text></svg>`,
    );
    const rgb = await sharp(bytes)
      .toColourspace("srgb")
      .composite([{ input: overlay }])
      .jpeg({ quality: 90 })
      .toBuffer();
    expect((await sharp(rgb).metadata()).channels).toBe(3);
    const scan = await decodeScan(rgb);
    expect(diffStats(scan.pixels, ref.pixels).meanAbs).toBeLessThan(2);
  });

  it("flattens transparency onto black", async () => {
    const ref = await referenceGrey(await readCorpus("nih00013"));
    const alpha = Buffer.alloc(ref.width * ref.height, 255);
    alpha.fill(0, 0, ref.width * 100); // top 100 rows fully transparent
    const grey = Buffer.from(ref.pixels);
    const rgba = Buffer.alloc(ref.width * ref.height * 2);
    for (let i = 0; i < grey.length; i++) {
      rgba[2 * i] = grey[i]!;
      rgba[2 * i + 1] = alpha[i]!;
    }
    const png = await sharp(rgba, { raw: { width: ref.width, height: ref.height, channels: 2 } })
      .png()
      .toBuffer();
    const scan = await decodeScan(png);
    expect(Math.max(...scan.pixels.subarray(0, ref.width * 100))).toBe(0);
    expect(diffStats(scan.pixels.subarray(ref.width * 100), ref.pixels.subarray(ref.width * 100)).maxAbs).toBe(0);
  });

  it("applies EXIF orientation so the image is upright", async () => {
    const bytes = await readCorpus("coh00121"); // 509 x 512
    const ref = await referenceGrey(bytes);
    const rotated = await sharp(bytes).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(rotated).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([512, 509, 6]);
    const scan = await decodeScan(rotated);
    expect([scan.width, scan.height]).toEqual([509, 512]);
    expect(diffStats(scan.pixels, ref.pixels).meanAbs).toBeLessThan(1.5);
  });

  it("reports decode time for a corpus JPEG and a 2000 x 2000 JPEG", async () => {
    const small = await readCorpus("nih00013");
    const big = await sharp(small).resize(2000, 2000, { kernel: "lanczos3" }).jpeg({ quality: 90 }).toBuffer();
    await decodeScan(small); // warm-up: first call loads libvips codecs
    const time = async (bytes: Buffer) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await decodeScan(bytes);
        runs.push(performance.now() - t);
      }
      return runs.sort((a, b) => a - b)[2]!;
    };
    const smallMs = await time(small);
    const bigMs = await time(big);
    console.info(
      `decodeScan median of 5: 512x512 corpus JPEG ${smallMs.toFixed(1)} ms; 2000x2000 JPEG ${bigMs.toFixed(1)} ms`,
    );
    // Generous bound: a regression to seconds would show here, scheduling noise on a shared CI box would not.
    expect(bigMs).toBeLessThan(3000);
  });
});

describe("decodeScan with maxSide: a large JPEG decoded at the size needed (shrink-on-load)", () => {
  const upscaled = (id: string, width: number, height: number) =>
    readCorpus(id).then((b) => sharp(b).resize(width, height, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer());

  it("decodes a JPEG twice the size or more to exactly maxSide, keeping its own size and its pixels", async () => {
    const big = await upscaled("coh00121", 3000, 2600);
    const whole = await decodeScan(big);
    const small = await decodeScan(big, undefined, { maxSide: 1024 });
    expect(whole.fullSize).toBeUndefined();
    expect(small).toMatchObject({ format: "jpeg", width: 1024, height: 887, fullSize: { width: 3000, height: 2600 } });
    expect(small.pixels).toHaveLength(1024 * 887);
    // The same picture as decoding everything and resizing after.
    const ref = await referenceGrey(
      await sharp(whole.pixels, { raw: { width: 3000, height: 2600, channels: 1 } })
        .resize(1024, 887, { kernel: "lanczos3" })
        .png()
        .toBuffer(),
    );
    expect(diffStats(small.pixels, ref.pixels).meanAbs).toBeLessThan(1.5);
    expect(correlation(small.pixels, ref.pixels)).toBeGreaterThan(0.999);
  });

  it("decodes whole what is less than twice maxSide, PNGs, and what has no maxSide", async () => {
    const jpeg = await upscaled("nih00013", 2000, 1800);
    expect(await decodeScan(jpeg, undefined, { maxSide: 1024 })).toMatchObject({ width: 2000, height: 1800 });
    const png = await sharp(jpeg).png({ compressionLevel: 1 }).toBuffer();
    const fromPng = await decodeScan(png, undefined, { maxSide: 512 });
    expect([fromPng.width, fromPng.height, fromPng.fullSize]).toEqual([2000, 1800, undefined]);
  });

  it("states the upright size of a rotated (EXIF orientation 6) large JPEG", async () => {
    const big = await upscaled("coh00121", 2600, 3000);
    const rotated = await sharp(big).rotate(-90).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer();
    const scan = await decodeScan(rotated, undefined, { maxSide: 1024 });
    expect(scan).toMatchObject({ width: 887, height: 1024, fullSize: { width: 2600, height: 3000 } });
  });

  it("still refuses a cut-off large JPEG", async () => {
    const big = await upscaled("coh00121", 3000, 2600);
    await expect(decodeScan(big.subarray(0, big.length >> 1), undefined, { maxSide: 1024 })).rejects.toMatchObject({
      code: "corrupt",
    });
  });
});
