// The frontal-film gate and the graded extent, end to end through the real routes and ingest paths with the shipped
// model: a CT slice, a lateral film and a grey screenshot are refused with 422 and a message naming what they look
// like, nothing of them is stored; a real frontal film from a hospital the gate was not tuned on is accepted with
// its extent and interval; only an admin can accept a refused film, with a reason that is audited.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@/lib/auth/actor";
import { hashPassword } from "@/lib/auth/password";
import { ingestScans } from "@/lib/scans/ingest";
import { createToken } from "@/lib/tokens/service";
import { makeNonRadiograph } from "@/models/training/non_radiographs";
import { callRoute } from "@/tests/support/api-call";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as patientScansRoute from "@/app/api/v1/patients/[id]/scans/route";
import * as timelineRoute from "@/app/api/v1/patients/[id]/timeline/route";

const SHARED = path.resolve(process.env.RADTRACK_SHARED_DIR ?? "../shared");
const OOD = path.join(SHARED, "data/ood");
const CXR = path.join(SHARED, "data/cxr");

async function multipart(bytes: Buffer, name: string, fields: Record<string, string> = {}) {
  const form = new FormData();
  form.set("file", new File([new Uint8Array(bytes)], name));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  const encoded = new Response(form);
  return { body: new Uint8Array(await encoded.arrayBuffer()), type: encoded.headers.get("content-type")! };
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true }).catch(() => [] as string[])).sort();
}

describe("frontal-film gate and graded extent", () => {
  let t: TestDatabase;
  let dataDir: string;
  const tokens = {} as Record<"admin" | "clinician", string>;
  const actors = {} as Record<"admin" | "clinician", Actor>;
  let patientId: string;

  async function upload(token: string, bytes: Buffer, name: string, fields: Record<string, string> = {}) {
    const { body, type } = await multipart(bytes, name, fields);
    return callRoute(patientScansRoute.POST, `/api/v1/patients/${patientId}/scans`, {
      token,
      body,
      headers: { "content-type": type },
      params: { id: patientId },
    });
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-gate-test-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    const passwordHash = await hashPassword("fixture-password-1");
    for (const role of ["admin", "clinician"] as const) {
      const u = await t.db.user.create({ data: { email: `${role}@gate.test`, name: role, role, passwordHash } });
      actors[role] = { id: u.id, email: u.email, name: u.name, role };
      tokens[role] = (await createToken(t.db, { userId: u.id, name: "gate" }, { actor: null, ip: null })).token;
    }
    patientId = (await t.db.patient.create({ data: { mrn: "GATE-1", name: "Gate Patient", sex: "female" } })).id;
  });

  afterAll(async () => {
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ["a CT slice", "dev00001.jpg"],
    ["a lateral view", "dev00030.png"],
  ])("refuses %s with 422 and stores nothing", async (what, file) => {
    const before = await files(dataDir);
    const response = await upload(tokens.clinician, await readFile(path.join(OOD, file)), file);
    expect(response.status, await response.clone().text()).toBe(422);
    const body = (await response.json()) as { error: string; code: string };
    expect(body.code).toBe("not_frontal_film");
    expect(body.error).toContain(`looks like ${what}`);
    expect(await t.db.scan.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: "scan.uploaded" } })).toBe(0);
    expect(await files(dataDir)).toEqual(before);
  });

  it("refuses a grey screenshot as not a radiograph", async () => {
    const response = await upload(tokens.clinician, await makeNonRadiograph("screenshot", 424242), "login.png");
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: string }).error).toContain("not a radiograph");
    expect(await t.db.scan.count()).toBe(0);
  });

  it("accepts a real frontal film with its extent, interval and model id, and serves them on the timeline", async () => {
    const response = await upload(tokens.clinician, await readFile(path.join(CXR, "coh00001.jpg")), "film.jpg", {
      acquiredAt: "2026-01-02",
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const body = (await response.json()) as {
      id: string;
      severity: { modelId: string; extent: { value: number; lo: number; hi: number } | null };
    };
    const e = body.severity.extent!;
    expect(e.value).toBeGreaterThanOrEqual(0);
    expect(e.value).toBeLessThanOrEqual(8);
    expect(e.lo).toBeLessThanOrEqual(e.value);
    expect(e.hi).toBeGreaterThanOrEqual(e.value);
    expect(e.hi - e.lo).toBeGreaterThan(0);

    const timeline = await callRoute(timelineRoute.GET, `/api/v1/patients/${patientId}/timeline`, {
      token: tokens.clinician,
      params: { id: patientId },
    });
    expect(timeline.status).toBe(200);
    const tj = (await timeline.json()) as {
      modelId: string;
      scale: { id: string; max: number };
      scans: { scanId: string; extent: { value: number } | null }[];
    };
    expect(tj.modelId).toBe(body.severity.modelId);
    expect(tj.scale).toMatchObject({ id: "extent", max: 8 });
    expect(tj.scans).toHaveLength(1);
    expect(tj.scans[0]!.extent!.value).toBeCloseTo(e.value, 6);
  });

  it("lets only an admin accept a refused film, with a reason, and audits it", async () => {
    const ct = await readFile(path.join(OOD, "dev00002.jpg"));
    const asClinician = await upload(tokens.clinician, ct, "ct.jpg", { overrideGateReason: "I am sure" });
    expect(asClinician.status).toBe(400);
    expect(((await asClinician.json()) as { error: string }).error).toContain("Only an admin");
    const short = await upload(tokens.admin, ct, "ct.jpg", { overrideGateReason: "ok" });
    expect(short.status).toBe(400);
    const ok = await upload(tokens.admin, ct, "ct.jpg", { overrideGateReason: "test of the override path" });
    expect(ok.status, await ok.clone().text()).toBe(201);
    const id = ((await ok.json()) as { id: string }).id;
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "scan.gate_overridden", targetId: id } });
    expect(event.actorId).toBe(actors.admin.id);
    expect(event.details).toMatchObject({ reason: "test of the override path", looksLike: "ct" });
  });

  it("fails a refused file alone in a batch (bulk) and keeps the others", async () => {
    const inputs = [
      { patientId, bytes: await readFile(path.join(CXR, "coh00002.jpg")), origin: "bulk" as const },
      { patientId, bytes: await readFile(path.join(OOD, "dev00003.jpg")), origin: "bulk" as const },
    ];
    const outcomes = await ingestScans(t.db, inputs, { actor: actors.clinician, ip: null });
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[1]!.ok).toBe(false);
    if (!outcomes[1]!.ok) expect(outcomes[1]!.error.message).toMatch(/not a frontal chest X-ray|not a radiograph/);
  });
});
