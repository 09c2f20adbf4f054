import { writeFile } from "node:fs/promises";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeScan } from "./decode";
import { makeFullRendition, makePreview, makeRenditions, makeThumbnail } from "./renditions";
import { diffStats, readCorpus, referenceGrey } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";

describe("renditions are re-encoded from decoded pixels only", () => {
  let fx: FixtureDir;
  beforeAll(async () => {
    fx = await FixtureDir.create();
  });
  afterAll(async () => {
    await fx?.remove();
  });

  it("preview: JPEG, longest side 1024 for a large image, no metadata", async () => {
    const big = await sharp(await readCorpus("coh00001")) // 512 x 440
      .resize(2048, 1760)
      .withMetadata({ orientation: 1, exif: { IFD0: { Copyright: "secret", Artist: "Dr Who" } } })
      .jpeg()
      .toBuffer();
    expect((await sharp(big).metadata()).exif).toBeDefined();
    const preview = await makePreview(await decodeScan(big));
    const meta = await sharp(preview).metadata();
    expect(meta).toMatchObject({ format: "jpeg", width: 1024, height: 880 });
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(preview.includes("secret")).toBe(false);
  });

  it("preview never enlarges; it stays faithful to the decoded pixels", async () => {
    const scan = await decodeScan(await readCorpus("ped00036")); // 224 x 224
    const preview = await makePreview(scan);
    const back = await referenceGrey(preview);
    expect([back.width, back.height]).toEqual([224, 224]);
    expect(diffStats(back.pixels, scan.pixels).meanAbs).toBeLessThan(2);
  });

  it("thumbnail: JPEG, longest side 192, aspect ratio kept", async () => {
    const thumb = await makeThumbnail(await decodeScan(await readCorpus("coh00121"))); // 509 x 512
    const meta = await sharp(thumb).metadata();
    expect(meta).toMatchObject({ format: "jpeg", height: 192, width: 191 });
    expect(meta.exif).toBeUndefined();
  });

  it("nothing of a DICOM preamble (here an executable) reaches the renditions", async () => {
    const src = await readCorpus("coh00121");
    await writeFile(fx.file("src.jpg"), src);
    await fx.img2dcm(fx.file("src.jpg"), "scan.dcm");
    const hostile = Buffer.from(await fx.read("scan.dcm"));
    hostile.write("MZ\x90\x00This program cannot be run in DOS mode.", 0, "latin1");
    const scan = await decodeScan(hostile);
    for (const out of [await makePreview(scan), await makeThumbnail(scan)]) {
      expect(out.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(out.includes("This program")).toBe(false);
      expect(out.includes("DICM")).toBe(false);
    }
  });

  it("all renditions from one input are the bytes each maker gives alone, metadata-free, at their sizes", async () => {
    const big = await sharp(await readCorpus("coh00001")) // 512 x 440
      .resize(2600, 2234)
      .withMetadata({ exif: { IFD0: { Copyright: "secret" } } })
      .jpeg()
      .toBuffer();
    const scan = await decodeScan(big);
    const all = await makeRenditions(scan, { full: true });
    expect(all.preview.equals(await makePreview(scan))).toBe(true);
    expect(all.thumbnail.equals(await makeThumbnail(scan))).toBe(true);
    expect(all.full!.equals(await makeFullRendition(scan))).toBe(true);
    const sizes = await Promise.all([all.preview, all.thumbnail, all.full!].map((b) => sharp(b).metadata()));
    expect(sizes.map((m) => [m.width, m.height])).toEqual([
      [1024, 880],
      [192, 165],
      [2048, 1760],
    ]);
    for (const m of sizes) expect(m.exif).toBeUndefined();
    expect((await makeRenditions(scan)).full).toBeUndefined();
  });
});
