// A folder of bad inputs sent through the ingest that the upload action and the API call (lib/scans/ingest.ts
// ingestScan), with a real database, a real storage folder and the real model: each is answered with a message that
// names the reason, and leaves the scans, embeddings and audit tables and every stored file exactly as they were.
// The files are made at test time (sharp, Buffer code, DCMTK for the DICOMs, as the decoder's own tests do).
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionContext } from "@/lib/actions/define-action";
import { scanImage } from "@/lib/api/scans";
import { hashPassword } from "@/lib/auth/password";
import { readCorpus } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { pngWithClaimedSize } from "@/tests/support/image/png";
import { activeModel } from "@/lib/scans/active-model";
import { DuplicateScanError, ScanRejectedError } from "@/lib/scans/errors";
import { ingestScan } from "@/lib/scans/ingest";
import { scanStore } from "@/lib/storage";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

/** Seeded uniform noise, so a failure can be reproduced. */
function noise(n: number, max: number, seed: number): Uint16Array {
  let s = seed;
  return Uint16Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 16) % (max + 1);
  });
}

function png16(values: Uint16Array, width: number, height: number): Promise<Buffer> {
  // sharp takes 16-bit raw input in the machine's byte order, as a typed array's bytes are.
  return sharp(Buffer.from(values.buffer, values.byteOffset, values.byteLength), {
    raw: { width, height, channels: 1, premultiplied: false },
  })
    .toColourspace("grey16")
    .png()
    .toBuffer();
}

/**
 * A real film as a detector without a display window stores it: every grey level mapped into a narrow band of the
 * 16-bit range, saved as a 16-bit PNG. (Built through sharp's own 16-bit pipeline: raw 16-bit input to sharp is read
 * as bytes, which scrambles a film into noise that the frontal-film gate rightly refuses.)
 */
async function corpusAs16BitPng(id: string): Promise<Buffer> {
  const { data, info } = await sharp(await readCorpus(id))
    .toColourspace("b-w")
    .raw()
    .toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
    .toColourspace("grey16")
    .linear(4095 / 255 / 257, 30)
    .png()
    .toBuffer();
}

interface Case {
  file: string;
  bytes: Buffer;
  code: string;
  /** The message must name the reason in words a user understands. */
  message: RegExp;
}

/** Name and size of every file under the storage folder (none before the first upload). */
async function storageListing(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root, { recursive: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names.sort()) {
    const info = await stat(path.join(root, name));
    out.push(info.isDirectory() ? `${name}/` : `${name} ${info.size}`);
  }
  return out;
}

describe("a folder of bad inputs through ingestScan", () => {
  let t: TestDatabase;
  let dataDir: string;
  let folder: string;
  let fx: FixtureDir;
  let ctx: ActionContext;
  let patientId: string;
  const cases: Case[] = [];
  let hostileDicom: Buffer;
  const preambleText = "This program cannot be run in DOS mode.";

  async function snapshot() {
    return {
      scans: await t.db.scan.findMany({ orderBy: { id: "asc" } }),
      embeddings: await t.db.embedding.findMany({
        orderBy: { id: "asc" },
        select: { id: true, scanId: true, modelId: true, createdAt: true },
      }),
      audit: await t.db.auditEvent.findMany({ orderBy: { id: "asc" } }),
      files: await storageListing(path.join(dataDir, "scans")),
    };
  }

  async function upload(bytes: Buffer, fileName: string) {
    return ingestScan(t.db, { patientId, bytes, origin: "upload", fileName }, ctx);
  }

  async function refusal(bytes: Buffer, fileName: string): Promise<Error> {
    try {
      await upload(bytes, fileName);
    } catch (error) {
      return error as Error;
    }
    throw new Error(`${fileName} was accepted`);
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-bad-inputs-"));
    // ingestScan and the image routes store and read under config().dataDir, read on first use.
    process.env.RADTRACK_DATA_DIR = dataDir;
    expect(scanStore().location).toBe(path.join(dataDir, "scans"));
    folder = await mkdtemp(path.join(os.tmpdir(), "radtrack-bad-folder-"));
    fx = await FixtureDir.create();
    const user = await t.db.user.create({
      data: {
        email: "bad@example.test",
        name: "Bad Inputs",
        role: "clinician",
        passwordHash: await hashPassword("x1-bad-inputs"),
      },
    });
    ctx = { actor: { id: user.id, email: user.email, name: user.name, role: "clinician" }, ip: "198.51.100.7" };
    patientId = (await t.db.patient.create({ data: { mrn: "BAD-1", name: "Bad Inputs", sex: "unknown" } })).id;
    await activeModel(t.db); // registered before the first snapshot

    const film = await readCorpus("nih00013");
    const big = Buffer.alloc(60 * 1024 * 1024);
    film.copy(big); // a real JPEG at the start, 60 MB in all
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512"><rect width="512" height="512"/></svg>';

    await writeFile(fx.file("film.jpg"), film);
    await fx.img2dcm(fx.file("film.jpg"), "film.dcm");
    await fx.dump2dcm(
      "multi.dcm",
      [
        "(0008,0016) UI =DigitalXRayImageStorageForPresentation",
        "(0028,0002) US 1",
        "(0028,0004) CS [MONOCHROME2]",
        "(0028,0008) IS [3]",
        "(0028,0010) US 64",
        "(0028,0011) US 64",
        "(0028,0100) US 8",
        "(0028,0101) US 8",
        "(0028,0102) US 7",
        "(0028,0103) US 0",
      ],
      new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7) % 251),
    );
    hostileDicom = Buffer.from(await fx.read("film.dcm"));
    hostileDicom.fill(0, 0, 128);
    hostileDicom.write(`MZ\x90\x00${preambleText}`, 0, "latin1");

    cases.push(
      { file: "empty.jpg", bytes: Buffer.alloc(0), code: "empty", message: /empty \(0 bytes\)/ },
      {
        file: "truncated.jpg",
        bytes: film.subarray(0, Math.floor(film.length * 0.6)),
        code: "corrupt",
        message: /damaged or incomplete/,
      },
      {
        file: "notes.png",
        bytes: Buffer.from("Patient: Jane Doe\nFindings: none\n"),
        code: "unsupported_type",
        message: /This file is a text file, not an X-ray image/,
      },
      {
        file: "drawing.svg",
        bytes: Buffer.from(svg),
        code: "unsupported_type",
        message: /an SVG drawing, not an X-ray/,
      },
      {
        file: "huge-claim.png",
        bytes: pngWithClaimedSize(60000, 60000),
        code: "too_many_pixels",
        message: /60000 x 60000 pixels \(3600 megapixels\); the limit is 50 megapixels/,
      },
      {
        file: "noise16.png",
        bytes: await png16(noise(512 * 512, 65535, 12345), 512, 512),
        code: "no_signal",
        message: /contains only random noise, not a picture/,
      },
      {
        // Noise in a detector's 12-bit range (the window stretches it, so it is judged like full-range noise).
        file: "noise12-in-16bit.png",
        bytes: await png16(noise(640 * 480, 4095, 777), 640, 480),
        code: "no_signal",
        message: /contains only random noise, not a picture/,
      },
      {
        file: "multi-frame.dcm",
        bytes: await fx.read("multi.dcm"),
        code: "multi_frame",
        message: /holds 3 images \(frames\); Radtrack takes one X-ray per file/,
      },
      { file: "sixty.jpg", bytes: big, code: "too_large", message: /This file is 60 MB; the limit is 50 MB per scan/ },
    );
    for (const c of cases) await writeFile(path.join(folder, c.file), c.bytes);
    await writeFile(path.join(folder, "hostile-preamble.dcm"), hostileDicom);
  }, 120_000);

  afterAll(async () => {
    await fx?.remove();
    await rm(folder, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
    await t?.close();
  });

  it("the folder holds what the issue lists", async () => {
    expect((await readdir(folder)).sort()).toEqual([...cases.map((c) => c.file), "hostile-preamble.dcm"].sort());
    const noiseMeta = await sharp(await readFile(path.join(folder, "noise16.png"))).metadata();
    expect(noiseMeta).toMatchObject({ format: "png", depth: "ushort", width: 512, height: 512 });
  });

  it("refuses each bad file with its reason, and nothing is stored", async () => {
    // One upload first, so "unchanged" is checked against a library that holds something.
    await upload(await readCorpus("coh00001"), "first.jpg");
    for (const c of cases) {
      const before = await snapshot();
      const error = await refusal(await readFile(path.join(folder, c.file)), c.file);
      expect(error, c.file).toBeInstanceOf(ScanRejectedError);
      expect((error as ScanRejectedError).code, c.file).toBe(c.code);
      expect(error.message, c.file).toMatch(c.message);
      expect(await snapshot(), c.file).toEqual(before);
    }
  }, 120_000);

  it("a DICOM with an executable preamble is taken as pixels only: what is served is a fresh JPEG", async () => {
    const result = await upload(await readFile(path.join(folder, "hostile-preamble.dcm")), "hostile-preamble.dcm");
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: result.scanId } });
    const source = await sharp(await readCorpus("nih00013")).metadata();
    expect(scan).toMatchObject({ origin: "dicom", width: source.width, height: source.height });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "scan.uploaded", targetId: scan.id } });
    // The audit event names the origin the scan row (and the API) gives it.
    expect(event.details).toMatchObject({ format: "dicom", origin: "dicom", suspiciousPreamble: true });

    const store = scanStore();
    const stored = await readdir(path.join(dataDir, "scans", scan.storageKey));
    // The original is kept (for re-embedding with a new model) next to the renditions.
    // With the viewer's large rendition, made with the upload.
    expect(stored.sort()).toEqual(["full.jpg", "original", "preview.jpg", "thumb.jpg"]);
    expect((await store.readOriginal(scan.storageKey)).equals(hostileDicom)).toBe(true);

    const apiCtx = { ...ctx, db: t.db, request: new Request(`http://localhost/api/v1/scans/${scan.id}/preview`) };
    for (const kind of ["preview", "thumbnail"] as const) {
      const response = await scanImage(apiCtx, scan.id, kind);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
      const served = Buffer.from(await response.arrayBuffer());
      expect(served.equals(await store.read(scan.storageKey, kind === "preview" ? "preview.jpg" : "thumb.jpg"))).toBe(
        true,
      );
      expect(served.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect((await sharp(served).metadata()).format).toBe("jpeg");
      // Nothing of the upload travels: not the preamble, not the DICOM marker, not the original's bytes.
      expect(served.includes(preambleText)).toBe(false);
      expect(served.includes(Buffer.from([0x4d, 0x5a, 0x90, 0x00]))).toBe(false);
      expect(served.includes("DICM")).toBe(false);
      expect(served.equals(hostileDicom)).toBe(false);
    }
  });

  it("a duplicate upload is refused, names the stored scan, and changes nothing", async () => {
    const film = await readCorpus("coh00121");
    const first = await upload(film, "film.jpg");
    const before = await snapshot();
    const error = await refusal(Buffer.from(film), "film-again.jpg");
    expect(error).toBeInstanceOf(DuplicateScanError);
    expect((error as DuplicateScanError).existingScanId).toBe(first.scanId);
    expect(error.message).toMatch(/already stored for this patient/);
    expect(error.message).toContain(first.scanId);
    expect(await snapshot()).toEqual(before);
  });

  it("a real radiograph saved as a 16-bit PNG (12-bit values) is accepted", async () => {
    const png = await corpusAs16BitPng("nih00013");
    expect((await sharp(png).metadata()).depth).toBe("ushort");
    const result = await upload(png, "film-16bit.png");
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: result.scanId } });
    expect(scan).toMatchObject({ origin: "upload" });
    expect(await t.db.embedding.count({ where: { scanId: scan.id } })).toBe(1);
  });
});
