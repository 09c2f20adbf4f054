// STOW-RS into Radtrack (POST /dicomweb/studies) from real clients: Orthanc's own DICOMweb client pushes a film it
// received with storescu, and dicomweb-client's multipart encoder sends several instances in one request. Same
// receive path as the poller: stored with origin dicomweb, a lateral refused, the same instance twice stored once;
// an admin's token only, standard DICOM JSON answers.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { multipartEncode } from "dicomweb-client/src/message.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { stopJobQueue } from "@/lib/jobs/boss";
import { createToken } from "@/lib/tokens/service";
import { startOrthanc, type TestOrthanc } from "@/tests/support/orthanc";
import { serveRoute, type RouteServer } from "@/tests/support/route-server";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as stowRoute from "@/app/dicomweb/studies/route";

type DicomJson = Record<string, { vr: string; Value?: unknown[] }>;

describe("STOW-RS endpoint", () => {
  let t: TestDatabase;
  let fx: FixtureDir;
  let dataDir: string;
  let orthanc: TestOrthanc;
  let server: RouteServer;
  let adminToken: string;
  let clinicianToken: string;
  let patientId: string;

  async function film(name: string, corpus: string, keys: Record<string, string> = {}) {
    await fx.img2dcm(corpusPath(corpus), name, {
      PatientID: "P-300",
      PatientName: "Stow^Sam",
      Modality: "DX",
      BodyPartExamined: "CHEST",
      ViewPosition: "AP",
      ...keys,
    });
    return readFile(fx.file(name));
  }

  function post(body: BodyInit | undefined, headers: Record<string, string>) {
    return fetch(`${server.url}/dicomweb/studies`, { method: "POST", headers, body });
  }

  function stowBody(files: Buffer[]) {
    const { data, boundary } = multipartEncode(files.map((f) => new Uint8Array(f).buffer));
    return { body: new Uint8Array(data), type: `multipart/related; type="application/dicom"; boundary=${boundary}` };
  }

  beforeAll(async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-stow-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    fx = await FixtureDir.create();
    const mk = async (email: string, role: "admin" | "clinician") =>
      t.db.user.create({ data: { email, name: email, role, passwordHash: await hashPassword("stow-password-1") } });
    const admin = await mk("router@example.test", "admin");
    const clinician = await mk("doc@example.test", "clinician");
    adminToken = (await createToken(t.db, { userId: admin.id, name: "PACS router" }, { actor: null, ip: null })).token;
    clinicianToken = (await createToken(t.db, { userId: clinician.id, name: "doc" }, { actor: null, ip: null })).token;
    patientId = (await t.db.patient.create({ data: { mrn: "P-300", name: "Sam Stow", sex: "unknown" } })).id;
    server = await serveRoute("/dicomweb/studies", "POST", stowRoute.POST);
    orthanc = await startOrthanc();
  });

  afterAll(async () => {
    await orthanc?.remove();
    await server?.close();
    await stopJobQueue();
    await t?.close();
    await fx?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("takes a film that Orthanc pushes with its own STOW-RS client", async () => {
    await film("pushed.dcm", "nih00001");
    await orthanc.storescu([fx.file("pushed.dcm")]);
    const auth = `Basic ${Buffer.from(`${orthanc.username}:${orthanc.password}`).toString("base64")}`;
    const put = await fetch(`${orthanc.rest}/dicom-web/servers/radtrack`, {
      method: "PUT",
      headers: { authorization: auth },
      body: JSON.stringify({ Url: `${server.url}/dicomweb/`, HttpHeaders: { Authorization: `Bearer ${adminToken}` } }),
    });
    expect(put.ok).toBe(true);
    const ids = (await (
      await fetch(`${orthanc.rest}/instances`, { headers: { authorization: auth } })
    ).json()) as string[];
    const stow = await fetch(`${orthanc.rest}/dicom-web/servers/radtrack/stow`, {
      method: "POST",
      headers: { authorization: auth },
      body: JSON.stringify({ Resources: ids }),
    });
    expect(stow.status, await stow.clone().text()).toBe(200);

    const scans = await t.db.scan.findMany({ where: { patientId } });
    expect(scans).toHaveLength(1);
    expect(scans[0]!.origin).toBe("dicomweb");
    const instance = await t.db.dicomwebInstance.findFirstOrThrow({ where: { scanId: scans[0]!.id } });
    expect(instance).toMatchObject({ via: "stow", outcome: "ingested", remote: "stow:127.0.0.1" });
    const uploaded = await t.db.auditEvent.findFirstOrThrow({
      where: { action: "scan.uploaded", targetId: scans[0]!.id },
    });
    expect(uploaded.details).toMatchObject({ origin: "dicomweb", via: "stow" });
    expect(uploaded.actorEmail).toBe("router@example.test");
  });

  it("answers with the standard store response: stored, refused (lateral) and already received instances", async () => {
    const frontal = await film("frontal.dcm", "nih00002");
    const lateral = await film("lateral.dcm", "nih00003", { ViewPosition: "LATERAL" });
    const { body, type } = stowBody([frontal, lateral]);
    const response = await post(body, { authorization: `Bearer ${adminToken}`, "content-type": type });
    expect(response.status).toBe(202);
    expect(response.headers.get("content-type")).toMatch(/^application\/dicom\+json/);
    const json = (await response.json()) as DicomJson;
    const referenced = json["00081199"]!.Value as DicomJson[];
    const failed = json["00081198"]!.Value as DicomJson[];
    expect(referenced).toHaveLength(1);
    expect(failed).toHaveLength(1);
    expect(failed[0]!["00081197"]!.Value).toEqual([0xc000]);
    const lateralRow = await t.db.dicomwebInstance.findUniqueOrThrow({
      where: { sopInstanceUid: String(failed[0]!["00081155"]!.Value![0]) },
    });
    expect(lateralRow.reason).toMatch(/^lateral view \(LATERAL\)/);
    expect(await t.db.scan.count({ where: { patientId } })).toBe(2);

    // The same instance again: accepted, stored once.
    const again = stowBody([frontal]);
    const second = await post(again.body, { authorization: `Bearer ${adminToken}`, "content-type": again.type });
    expect(second.status).toBe(200);
    expect(await t.db.scan.count({ where: { patientId } })).toBe(2);
  });

  it("refuses callers without an admin token and bodies that are not STOW-RS, storing nothing", async () => {
    const frontal = await film("refused.dcm", "nih00004");
    const { body, type } = stowBody([frontal]);
    expect((await post(body, { "content-type": type })).status).toBe(401);
    expect((await post(body, { authorization: `Bearer ${clinicianToken}`, "content-type": type })).status).toBe(403);
    const wrongType = await post(body, { authorization: `Bearer ${adminToken}`, "content-type": "application/dicom" });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as { error: string }).error).toMatch(/multipart\/related/);
    const garbage = stowBody([Buffer.from("not a dicom file at all, just text")]);
    const bad = await post(garbage.body, { authorization: `Bearer ${adminToken}`, "content-type": garbage.type });
    expect(bad.status).toBe(409);
    expect(await t.db.scan.count({ where: { patientId } })).toBe(2);
  });
});
