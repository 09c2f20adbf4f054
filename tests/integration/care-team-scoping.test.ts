// RADTRACK_PATIENT_SCOPING=care-team on every read path: the patient list and search (page and API), the patient
// page and its edit page (openPatient), the API's scan list and upload, the CSV export, scan images (both routes),
// neighbours (API and page), the edit and upload actions; break-the-glass opens one patient for a bounded time and
// is audited; admins manage the teams with audited actions. Real database, real corpus images.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_DEFINITION, type ServerAction } from "@/lib/actions/server-action";
import type { Actor } from "@/lib/auth/actor";
import { hashPassword } from "@/lib/auth/password";
import {
  createTeamAction,
  deleteTeamAction,
  setTeamMemberAction,
  setTeamPatientAction,
} from "@/lib/care-teams/actions";
import { neighboursOfScan } from "@/lib/neighbours";
import { BreakGlassRequiredError, patientAccess } from "@/lib/patients/access";
import { breakGlassAction, createPatientAction, updatePatientAction } from "@/lib/patients/actions";
import { openPatient, searchPatients } from "@/lib/patients/service";
import { uploadScanAction } from "@/lib/scans/actions";
import { ingestScan } from "@/lib/scans/ingest";
import { createToken } from "@/lib/tokens/service";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as patientScansRoute from "@/app/api/v1/patients/[id]/scans/route";
import * as breakGlassRoute from "@/app/api/v1/patients/[id]/break-glass/route";
import * as neighborsRoute from "@/app/api/v1/scans/[id]/neighbors/route";
import * as withdrawRoute from "@/app/api/v1/scans/[id]/withdraw/route";
import * as previewRoute from "@/app/api/v1/scans/[id]/preview/route";
import * as thumbnailRoute from "@/app/api/v1/scans/[id]/thumbnail/route";
import * as sessionPreviewRoute from "@/app/api/scans/[id]/preview/route";
import * as sessionThumbnailRoute from "@/app/api/scans/[id]/thumbnail/route";
import * as csvRoute from "@/app/api/patients/[id]/timeline.csv/route";

const CORPUS = process.env.RADTRACK_CORPUS_DIR ?? path.resolve("../shared/data/cxr");

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

async function call<P>(
  handler: Handler<P>,
  url: string,
  token: string,
  params: P,
  init: { method?: string; json?: unknown; form?: FormData } = {},
): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${token}`, "x-forwarded-for": "192.0.2.44" });
  let body: BodyInit | undefined;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  } else if (init.form) {
    const encoded = new Response(init.form);
    headers.set("content-type", encoded.headers.get("content-type")!);
    body = new Uint8Array(await encoded.arrayBuffer());
  }
  const request = new Request(`http://radtrack.test${url}`, {
    method: init.method ?? (body ? "POST" : "GET"),
    headers,
    body,
  });
  return handler(request, { params: Promise.resolve(params) });
}

function invoke<T>(action: ServerAction<T>, input: unknown, actor: Actor) {
  return action[ACTION_DEFINITION].invoke(input, { actor, ip: "192.0.2.44" }).then((o) => o.result);
}

describe("care-team scoping (RADTRACK_PATIENT_SCOPING=care-team)", () => {
  let t: TestDatabase;
  let dataDir: string;
  const actors = {} as Record<"admin" | "inTeam" | "outside", Actor>;
  const tokens = {} as Record<"admin" | "inTeam" | "outside", string>;
  let teamId: string;
  let mine: { patientId: string; scanId: string };
  let theirs: { patientId: string; scanId: string };

  beforeAll(async () => {
    process.env.RADTRACK_PATIENT_SCOPING = "care-team";
    process.env.RADTRACK_BREAK_GLASS_MINUTES = "30";
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-scoping-test-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    const passwordHash = await hashPassword("fixture-password-1");
    for (const [key, role] of [
      ["admin", "admin"],
      ["inTeam", "clinician"],
      ["outside", "clinician"],
    ] as const) {
      const u = await t.db.user.create({
        data: { email: `${key.toLowerCase()}@scope.test`, name: key, role, passwordHash },
      });
      actors[key] = { id: u.id, email: u.email, name: u.name, role };
      tokens[key] = (await createToken(t.db, { userId: u.id, name: key }, { actor: null, ip: null })).token;
    }
    const ingest = async (mrn: string, file: string) => {
      const p = await t.db.patient.create({ data: { mrn, name: `Patient ${mrn}`, sex: "female" } });
      const bytes = await readFile(path.join(CORPUS, file));
      const scan = await ingestScan(
        t.db,
        { patientId: p.id, bytes, origin: "upload" },
        { actor: actors.admin, ip: null },
      );
      return { patientId: p.id, scanId: scan.scanId };
    };
    mine = await ingest("SCOPE-MINE", "coh00001.jpg");
    theirs = await ingest("SCOPE-THEIRS", "coh00002.jpg");
  }, 300_000);

  afterAll(async () => {
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
    delete process.env.RADTRACK_PATIENT_SCOPING;
    delete process.env.RADTRACK_BREAK_GLASS_MINUTES;
  });

  it("admins build a team with audited actions; clinicians may not", async () => {
    const created = await invoke(createTeamAction, { name: "Ward 7" }, actors.admin);
    expect(created.ok).toBe(true);
    teamId = (created as { ok: true; data: { id: string } }).data.id;
    expect(await invoke(createTeamAction, { name: "Ward 7" }, actors.admin)).toMatchObject({
      ok: false,
      error: "A team named Ward 7 already exists.",
    });
    expect(
      await invoke(setTeamMemberAction, { teamId, email: "INTEAM@scope.test", member: true }, actors.admin),
    ).toEqual({
      ok: true,
      data: { changed: true },
    });
    expect(await invoke(setTeamPatientAction, { teamId, mrn: "scope-mine", member: true }, actors.admin)).toEqual({
      ok: true,
      data: { changed: true },
    });
    // Asking again changes nothing and records nothing.
    expect(await invoke(setTeamPatientAction, { teamId, mrn: "SCOPE-MINE", member: true }, actors.admin)).toEqual({
      ok: true,
      data: { changed: false },
    });
    expect(await invoke(setTeamPatientAction, { teamId, mrn: "NO-SUCH", member: true }, actors.admin)).toMatchObject({
      ok: false,
      error: "No patient has the MRN NO-SUCH.",
    });
    const byClinician = await invoke(
      setTeamPatientAction,
      { teamId, mrn: "SCOPE-THEIRS", member: true },
      actors.inTeam,
    );
    expect(byClinician.ok).toBe(false);
    const events = await t.db.auditEvent.findMany({
      where: { action: { startsWith: "care_team." } },
      orderBy: { id: "asc" },
      select: { action: true, actorId: true, targetId: true, patientId: true },
    });
    expect(events).toEqual([
      { action: "care_team.created", actorId: actors.admin.id, targetId: teamId, patientId: null },
      { action: "care_team.member_added", actorId: actors.admin.id, targetId: teamId, patientId: null },
      { action: "care_team.patient_added", actorId: actors.admin.id, targetId: teamId, patientId: mine.patientId },
    ]);
  });

  it("lists and searches only the clinician's team patients (page and API); admins see all", async () => {
    const page = await searchPatients(t.db, { q: "scope" }, actors.inTeam);
    expect(page.patients.map((p) => p.mrn)).toEqual(["SCOPE-MINE"]);
    expect(page.total).toBe(1);
    expect((await searchPatients(t.db, {}, actors.outside)).total).toBe(0);
    expect((await searchPatients(t.db, { q: "scope" }, actors.admin)).total).toBe(2);
    const api = await call(patientsRoute.GET, "/api/v1/patients?q=scope", tokens.inTeam, {});
    expect(api.status).toBe(200);
    expect(((await api.json()) as { patients: { mrn: string }[] }).patients.map((p) => p.mrn)).toEqual(["SCOPE-MINE"]);
    const byMrn = await call(patientsRoute.GET, "/api/v1/patients?mrn=SCOPE-THEIRS", tokens.inTeam, {});
    expect(((await byMrn.json()) as { patients: unknown[] }).patients).toEqual([]);
  });

  it("serves the team's own patient on every read path", async () => {
    const ctx = { actor: actors.inTeam, ip: null };
    expect((await openPatient(t.db, mine.patientId, ctx))?.mrn).toBe("SCOPE-MINE");
    const id = { id: mine.patientId };
    const scan = { id: mine.scanId };
    expect(
      (await call(patientScansRoute.GET, `/api/v1/patients/${mine.patientId}/scans`, tokens.inTeam, id)).status,
    ).toBe(200);
    expect((await call(csvRoute.GET, `/api/patients/${mine.patientId}/timeline.csv`, tokens.inTeam, id)).status).toBe(
      200,
    );
    for (const route of [previewRoute, thumbnailRoute, sessionPreviewRoute, sessionThumbnailRoute]) {
      const response = await call(route.GET, `/api/v1/scans/${mine.scanId}/preview`, tokens.inTeam, scan);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
    }
    expect((await call(neighborsRoute.GET, `/api/v1/scans/${mine.scanId}/neighbors`, tokens.inTeam, scan)).status).toBe(
      200,
    );
    await expect(neighboursOfScan(t.db, mine.scanId, { k: 5 }, ctx)).resolves.toMatchObject({ neighbours: [] });
  });

  it("refuses another patient on every read and write path, with a clear 403, and stores nothing", async () => {
    const ctx = { actor: actors.inTeam, ip: "192.0.2.44" };
    const before = {
      views: await t.db.auditEvent.count({ where: { patientId: theirs.patientId, action: { not: "scan.uploaded" } } }),
      scans: await t.db.scan.count(),
    };
    await expect(openPatient(t.db, theirs.patientId, ctx)).rejects.toBeInstanceOf(BreakGlassRequiredError);
    const id = { id: theirs.patientId };
    const scan = { id: theirs.scanId };
    const form = new FormData();
    form.set("file", new File([new Uint8Array(await readFile(path.join(CORPUS, "coh00003.jpg")))], "x.jpg"));
    const responses = [
      await call(patientScansRoute.GET, `/api/v1/patients/${theirs.patientId}/scans`, tokens.inTeam, id),
      await call(patientScansRoute.POST, `/api/v1/patients/${theirs.patientId}/scans`, tokens.inTeam, id, { form }),
      await call(csvRoute.GET, `/api/patients/${theirs.patientId}/timeline.csv`, tokens.inTeam, id),
      await call(previewRoute.GET, `/api/v1/scans/${theirs.scanId}/preview`, tokens.inTeam, scan),
      await call(thumbnailRoute.GET, `/api/v1/scans/${theirs.scanId}/thumbnail`, tokens.inTeam, scan),
      await call(sessionPreviewRoute.GET, `/api/scans/${theirs.scanId}/preview`, tokens.inTeam, scan),
      await call(sessionThumbnailRoute.GET, `/api/scans/${theirs.scanId}/thumbnail`, tokens.inTeam, scan),
      await call(neighborsRoute.GET, `/api/v1/scans/${theirs.scanId}/neighbors`, tokens.inTeam, scan),
      await call(withdrawRoute.POST, `/api/v1/scans/${theirs.scanId}/withdraw`, tokens.inTeam, scan, {
        json: { reason: "Not my patient's film" },
      }),
    ];
    for (const response of responses) {
      expect(response.status, response.url).toBe(403);
      expect(await response.json()).toMatchObject({
        code: "break_glass_required",
        error: expect.stringMatching(/not under your care teams/),
        breakGlass: `/api/v1/patients/${theirs.patientId}/break-glass`,
      });
    }
    await expect(neighboursOfScan(t.db, theirs.scanId, { k: 5 }, ctx)).rejects.toBeInstanceOf(BreakGlassRequiredError);
    const edit = await invoke(
      updatePatientAction,
      { id: theirs.patientId, mrn: "SCOPE-THEIRS", name: "Renamed", sex: "female" },
      actors.inTeam,
    );
    expect(edit).toMatchObject({ ok: false, error: expect.stringMatching(/not under your care teams/) });
    const upload = new FormData();
    upload.set("patientId", theirs.patientId);
    upload.set("file", new File([new Uint8Array(await readFile(path.join(CORPUS, "coh00003.jpg")))], "x.jpg"));
    expect(await invoke(uploadScanAction, upload, actors.inTeam)).toMatchObject({ ok: false });
    expect((await t.db.patient.findUniqueOrThrow({ where: { id: theirs.patientId } })).name).toBe(
      "Patient SCOPE-THEIRS",
    );
    expect(await t.db.scan.count()).toBe(before.scans);
    expect(await t.db.scan.count({ where: { withdrawnAt: { not: null } } })).toBe(0);
    // A refusal reads nothing, so it records no view.
    expect(
      await t.db.auditEvent.count({ where: { patientId: theirs.patientId, action: { not: "scan.uploaded" } } }),
    ).toBe(before.views);
  });

  it("opens the patient after a reason, audited as patient.break_glass, for this clinician only and for a bounded time", async () => {
    const url = `/api/v1/patients/${theirs.patientId}/break-glass`;
    const id = { id: theirs.patientId };
    const tooShort = await call(breakGlassRoute.POST, url, tokens.inTeam, id, { json: { reason: "x" } });
    expect(tooShort.status).toBe(400);
    expect(((await tooShort.json()) as { error: string }).error).toMatch(/at least 10 characters/);
    expect(await t.db.auditEvent.count({ where: { action: "patient.break_glass" } })).toBe(0);

    const reason = "Covering night shift, patient deteriorating on ward 9";
    const granted = await call(breakGlassRoute.POST, url, tokens.inTeam, id, { json: { reason } });
    expect(granted.status).toBe(201);
    const grant = (await granted.json()) as { patientId: string; until: string };
    expect(grant.patientId).toBe(theirs.patientId);
    const minutes = (Date.parse(grant.until) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(29);
    expect(minutes).toBeLessThanOrEqual(30);
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "patient.break_glass" } });
    expect(event).toMatchObject({
      actorId: actors.inTeam.id,
      patientId: theirs.patientId,
      targetType: "patient",
      ip: "192.0.2.44",
      details: { reason, minutes: 30, scoping: "care-team" },
    });

    const ctx = { actor: actors.inTeam, ip: null };
    expect((await openPatient(t.db, theirs.patientId, ctx))?.mrn).toBe("SCOPE-THEIRS");
    const scan = { id: theirs.scanId };
    expect(
      (await call(patientScansRoute.GET, `/api/v1/patients/${theirs.patientId}/scans`, tokens.inTeam, id)).status,
    ).toBe(200);
    expect((await call(previewRoute.GET, `/api/v1/scans/${theirs.scanId}/preview`, tokens.inTeam, scan)).status).toBe(
      200,
    );
    expect(
      (await call(neighborsRoute.GET, `/api/v1/scans/${theirs.scanId}/neighbors`, tokens.inTeam, scan)).status,
    ).toBe(200);
    // A grant opens the record, not the list.
    expect((await searchPatients(t.db, { q: "scope" }, actors.inTeam)).patients.map((p) => p.mrn)).toEqual([
      "SCOPE-MINE",
    ]);
    // Another clinician's access is unchanged.
    await expect(openPatient(t.db, theirs.patientId, { actor: actors.outside, ip: null })).rejects.toBeInstanceOf(
      BreakGlassRequiredError,
    );
    // The grant ends: the same event seen from a policy of 1 minute, and an older grant of the outsider's.
    const policy = { scoping: "care-team" as const, breakGlassMinutes: 1 };
    await t.db.auditEvent.create({
      data: {
        action: "patient.break_glass",
        actorId: actors.outside.id,
        patientId: theirs.patientId,
        at: new Date(Date.now() - 31 * 60_000),
        details: { reason: "an old reason from earlier" },
      },
    });
    expect(await patientAccess(t.db, actors.outside, theirs.patientId)).toEqual({ allowed: false });
    expect((await patientAccess(t.db, actors.inTeam, theirs.patientId)).allowed).toBe(true);
    expect(await patientAccess(t.db, actors.inTeam, mine.patientId, policy)).toEqual({
      allowed: true,
      via: "care-team",
    });
    // Through the page's own action as well.
    expect(
      await invoke(breakGlassAction, { patientId: theirs.patientId, reason: "short" }, actors.outside),
    ).toMatchObject({
      ok: false,
    });
  });

  it("puts a clinician's new patient in their own teams, and removing a member closes the list", async () => {
    const created = await invoke(
      createPatientAction,
      { mrn: "SCOPE-NEW", name: "New One", sex: "male" },
      actors.inTeam,
    );
    expect(created.ok).toBe(true);
    expect((await searchPatients(t.db, { q: "scope-new" }, actors.inTeam)).total).toBe(1);
    expect((await searchPatients(t.db, { q: "scope-new" }, actors.outside)).total).toBe(0);
    await invoke(setTeamMemberAction, { teamId, email: "inteam@scope.test", member: false }, actors.admin);
    expect((await searchPatients(t.db, { q: "scope" }, actors.inTeam)).total).toBe(0);
    await expect(openPatient(t.db, mine.patientId, { actor: actors.inTeam, ip: null })).rejects.toBeInstanceOf(
      BreakGlassRequiredError,
    );
    expect(await invoke(deleteTeamAction, { teamId }, actors.admin)).toEqual({ ok: true, data: { id: teamId } });
    expect(await t.db.careTeamPatient.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: "care_team.deleted", targetId: teamId } })).toBe(1);
  });

  it("admins and the default open mode are not scoped", async () => {
    expect(await patientAccess(t.db, actors.admin, theirs.patientId)).toEqual({ allowed: true, via: "admin" });
    const open = { scoping: "open" as const, breakGlassMinutes: 60 };
    expect(await patientAccess(t.db, actors.outside, theirs.patientId, open)).toEqual({ allowed: true, via: "open" });
  });
});
