// The hostile single-upload campaign (issue 11): every case of tests/security/upload-corpus.ts is sent to
// POST /api/v1/patients/{id}/scans as a client would (multipart body, bearer token, the real route wrapper), against a
// real database, a real storage folder and the real model. Each case must get its status and message, and leave the
// scans, embeddings, audit log and stored files exactly as they were, or, when accepted, add exactly one scan, its
// three files and its scan.uploaded event. No case may answer 5xx.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { activeModel } from "@/lib/scans/active-model";
import { createToken } from "@/lib/tokens/service";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as patientScansRoute from "@/app/api/v1/patients/[id]/scans/route";
import * as previewRoute from "@/app/api/v1/scans/[id]/preview/route";
import { buildUploadCorpus, type UploadCase } from "./upload-corpus";

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

/** Audit ids are bigints, which JSON.stringify refuses. */
const json = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));

const UNKNOWN_PATIENT = "00000000-0000-4000-8000-000000000000";

describe("security campaign: hostile single uploads through the API", () => {
  let t: TestDatabase;
  let dataDir: string;
  let fx: FixtureDir;
  let token: string;
  let patientId: string;
  let cases: UploadCase[];
  const tally = { tried: 0, refused: 0, stored: 0, serverErrors: 0 };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-campaign-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    fx = await FixtureDir.create();
    const user = await t.db.user.create({
      data: {
        email: "campaign@security.test",
        name: "Campaign",
        role: "clinician",
        passwordHash: await hashPassword("campaign-password-1"),
      },
    });
    token = (await createToken(t.db, { userId: user.id, name: "campaign" }, { actor: null, ip: null })).token;
    patientId = (await t.db.patient.create({ data: { mrn: "SEC-1", name: "Campaign", sex: "unknown" } })).id;
    await activeModel(t.db);
    cases = await buildUploadCorpus(fx);
  }, 300_000);

  afterAll(async () => {
    console.log(
      `security campaign, single uploads: ${tally.tried} tried, ${tally.refused} refused, ${tally.stored} stored, ` +
        `${tally.serverErrors} 5xx`,
    );
    await fx?.remove();
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function snapshot() {
    return {
      scans: await t.db.scan.findMany({ orderBy: { id: "asc" } }),
      embeddings: await t.db.embedding.findMany({ orderBy: { id: "asc" }, select: { id: true, scanId: true } }),
      audit: await t.db.auditEvent.findMany({ orderBy: { id: "asc" } }),
      patients: await t.db.patient.findMany({ orderBy: { id: "asc" } }),
      files: await storageListing(path.join(dataDir, "scans")),
    };
  }

  async function send(c: UploadCase): Promise<Response> {
    const target = c.patient === "unknown" ? UNKNOWN_PATIENT : c.patient === "not-a-uuid" ? "1 OR 1=1" : patientId;
    const headers = new Headers({ "x-forwarded-for": "198.51.100.66" });
    if ((c.auth ?? "clinician") === "clinician") headers.set("authorization", `Bearer ${token}`);
    if (c.auth === "garbage") headers.set("authorization", "Bearer ' OR '1'='1");
    let body: Uint8Array<ArrayBuffer>;
    if (c.rawBody) {
      headers.set("content-type", c.rawBody);
      body = new Uint8Array(c.file?.bytes ?? Buffer.alloc(0));
    } else {
      const form = new FormData();
      if (c.file) form.set("file", new File([new Uint8Array(c.file.bytes)], c.file.fileName, { type: "image/jpeg" }));
      for (const [k, v] of Object.entries(c.fields ?? {})) form.set(k, v);
      const encoded = new Response(form);
      headers.set("content-type", encoded.headers.get("content-type")!);
      body = new Uint8Array(await encoded.arrayBuffer());
    }
    const request = new Request(`http://radtrack.test/api/v1/patients/${encodeURIComponent(target)}/scans`, {
      method: "POST",
      headers,
      body,
    });
    return patientScansRoute.POST(request, { params: Promise.resolve({ id: target }) });
  }

  it("has the cases the issue names, and more than 60 of them", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const names = cases.map((c) => c.name).join("\n");
    for (const named of [
      /empty file/,
      /JPEG truncated/,
      /text renamed/,
      /SVG with script/,
      /HTML with script/,
      /PDF/,
      /GIF/,
      /WebP/,
      /TIFF/,
      /BMP/,
      /PNG claiming 60000x60000/,
      /decompression bomb/,
      /16-bit noise/,
      /colour photo/,
      /polyglot JPEG\+ZIP/,
      /MZ .*preamble/,
      /ELF preamble/,
      /DICOM without pixel data/,
      /multi-frame/,
      /Rows 0/,
      /99991231/,
      /00010101/,
      /18000101/,
      /00000101/,
      /63 MB through the API/,
      /path traversal/,
    ]) {
      expect(names).toMatch(named);
    }
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it("answers every case with its status and message, and stores exactly what it accepts", async () => {
    const failures: string[] = [];
    for (const c of cases) {
      const before = await snapshot();
      const response = await send(c);
      tally.tried++;
      if (response.status >= 500) tally.serverErrors++;
      const body = (await response.json()) as { error?: string; id?: string; warnings?: string[] };
      const after = await snapshot();
      const got = `${c.name}: ${response.status} ${body.error ?? JSON.stringify(body)}`;
      if (response.status !== c.expect.status) {
        failures.push(`${got} (expected ${c.expect.status})`);
        continue;
      }
      if (!c.expect.stored) {
        tally.refused++;
        if (!c.expect.message.test(body.error ?? ""))
          failures.push(`${got} (message should match ${c.expect.message})`);
        if (json(after) !== json(before)) failures.push(`${c.name}: a refused upload changed state`);
        continue;
      }
      tally.stored++;
      const scanId = body.id!;
      const newScans = after.scans.filter((s) => !before.scans.some((b) => b.id === s.id));
      const newEvents = after.audit.slice(before.audit.length);
      const newFiles = after.files.filter((f) => !before.files.includes(f));
      const folder = newScans[0]?.storageKey;
      if (newScans.length !== 1 || newScans[0]!.id !== scanId) failures.push(`${c.name}: ${newScans.length} new scans`);
      if (after.embeddings.length !== before.embeddings.length + 1) failures.push(`${c.name}: embeddings`);
      if (newEvents.length !== 1 || newEvents[0]!.action !== "scan.uploaded" || newEvents[0]!.targetId !== scanId) {
        failures.push(`${c.name}: audit ${newEvents.map((e) => e.action).join(",")}`);
      }
      // New files only (a new shard folder may appear with them): the original and its two renditions, plus the
      // viewer's 2048 px rendition, which a single upload writes in the background (it may or may not be there yet).
      const all = newFiles.filter((f) => !f.endsWith("/")).map((f) => f.replace(/ \d+$/, ""));
      const names = all.filter((f) => f !== `${folder}/full.jpg`);
      const expected = ["original", "preview.jpg", "thumb.jpg"].map((n) => `${folder}/${n}`);
      if (json(names.sort()) !== json(expected)) failures.push(`${c.name}: files ${all.join(", ")}`);
      if (after.patients.length !== before.patients.length) failures.push(`${c.name}: patients changed`);
    }
    expect(failures).toEqual([]);
    expect(tally.serverErrors).toBe(0);
  }, 600_000);

  it("serves back a fresh JPEG only: no byte of a polyglot's archive or a DICOM preamble's program", async () => {
    const scans = await t.db.scan.findMany({ select: { id: true } });
    expect(scans.length).toBe(tally.stored);
    for (const { id } of scans) {
      const response = await previewRoute.GET(
        new Request(`http://radtrack.test/api/v1/scans/${id}/preview`, {
          headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "198.51.100.66" },
        }),
        { params: Promise.resolve({ id }) },
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      const served = Buffer.from(await response.arrayBuffer());
      expect(served.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      for (const marker of [
        "PK\u0003\u0004",
        "payload.sh",
        "This program cannot be run",
        "\u007fELF",
        "DICM",
        "ld-linux",
      ]) {
        expect(served.includes(Buffer.from(marker, "latin1")), `${id} serves ${JSON.stringify(marker)}`).toBe(false);
      }
    }
  });

  it("wrote nothing outside the store for a file name that climbs out of it", () => {
    expect(existsSync("/tmp/radtrack-campaign-escape.jpg")).toBe(false);
    expect(existsSync(path.join(dataDir, "..", "radtrack-campaign-escape.jpg"))).toBe(false);
  });
});
