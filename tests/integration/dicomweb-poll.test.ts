// The DICOMweb poller against a real Orthanc (Debian's orthanc + orthanc-dicomweb, started by the test on loopback
// ports): films made by DCMTK's img2dcm and sent with storescu are found with QIDO-RS, retrieved with WADO-RS and
// stored through the ingest pipeline; a lateral and a knee are refused with their reasons, an unknown patient and a
// name conflict wait for an admin; Orthanc stopped in the middle of a poll makes Radtrack back off, and once it is
// back the next poll catches up without a duplicate.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { DicomwebConfig } from "@/lib/config";
import type { ActionContext } from "@/lib/actions/define-action";
import { hashPassword } from "@/lib/auth/password";
import { confirmPending, discardPending, listPending } from "@/lib/dicomweb/pending";
import { backoffSeconds, pollOnce } from "@/lib/dicomweb/poller";
import type { ReceiveSettings } from "@/lib/dicomweb/receive";
import { stopJobQueue } from "@/lib/jobs/boss";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { ScanStore } from "@/lib/storage/scan-store";
import { startOrthanc, type TestOrthanc } from "@/tests/support/orthanc";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

describe("DICOMweb poller (real Orthanc)", () => {
  let t: TestDatabase;
  let orthanc: TestOrthanc;
  let fx: FixtureDir;
  let dataDir: string;
  let store: ScanStore;
  let cfg: DicomwebConfig;
  const settings: ReceiveSettings = {
    filters: { modalities: ["CR", "DX"], aeTitles: [], institutions: [] },
    createPatients: false,
    issuer: undefined,
  };
  let janeId: string;
  let admin: ActionContext;

  /** A film of `corpus` for a patient, as a modality would send it. */
  async function film(name: string, corpus: string, keys: Record<string, string>) {
    await fx.img2dcm(corpusPath(corpus), name, {
      Modality: "CR",
      BodyPartExamined: "CHEST",
      ViewPosition: "PA",
      StudyDate: "20261201",
      ...keys,
    });
    return fx.file(name);
  }

  beforeAll(async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-dicomweb-"));
    store = ScanStore.forDataDir(dataDir);
    fx = await FixtureDir.create();
    orthanc = await startOrthanc();
    cfg = {
      url: orthanc.dicomweb,
      auth: { kind: "basic", username: orthanc.username, password: orthanc.password },
      pollSeconds: 30,
      modalities: ["CR", "DX"],
      aeTitles: [],
      institutions: [],
      sendResults: false,
    };
    janeId = (await t.db.patient.create({ data: { mrn: "P-100", name: "Jane Doe", sex: "female" } })).id;
    const u = await t.db.user.create({
      data: {
        email: "pacs-admin@example.test",
        name: "Admin",
        role: "admin",
        passwordHash: await hashPassword("pw-12345678"),
      },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "198.51.100.7" };
  });

  afterAll(async () => {
    await orthanc?.remove();
    await stopJobQueue();
    await t?.close();
    await fx?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  const outcomes = async () =>
    Object.fromEntries(
      (await t.db.dicomwebInstance.findMany({ orderBy: { at: "asc" } })).map((i) => [i.sopInstanceUid, i]),
    );

  it("finds films sent to the PACS, stores the frontal chest ones, refuses the others with reasons", async () => {
    await orthanc.storescu([
      await film("pa.dcm", "coh00001", { PatientID: "P-100", PatientName: "Doe^Jane" }),
      await film("lateral.dcm", "coh00002", { PatientID: "P-100", PatientName: "Doe^Jane", ViewPosition: "LL" }),
      await film("knee.dcm", "coh00003", {
        PatientID: "P-100",
        PatientName: "Doe^Jane",
        Modality: "DX",
        BodyPartExamined: "KNEE",
      }),
      await film("unknown.dcm", "coh00004", { PatientID: "P-999", PatientName: "Roe^Richard" }),
      await film("conflict.dcm", "coh00005", { PatientID: "P-100", PatientName: "Smith^John" }),
    ]);
    const report = await pollOnce(t.db, cfg, settings, { store });
    expect(report.error).toBeNull();
    expect(report).toMatchObject({ seen: 5, ingested: 1, refused: 2, pending: 2, failed: 0 });

    const scans = await t.db.scan.findMany({ where: { patientId: janeId } });
    expect(scans).toHaveLength(1);
    expect(scans[0]!.origin).toBe("dicomweb");
    expect(scans[0]!.view).toBe("PA");

    const rows = Object.values(await outcomes());
    const reasons = rows.filter((r) => r.outcome === "refused").map((r) => r.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^lateral view \(LL\)/), expect.stringMatching(/body part KNEE/)]),
    );
    const pending = await t.db.dicomwebPending.findMany({ orderBy: { dicomPatientId: "asc" } });
    expect(pending.map((p) => [p.dicomPatientId, p.reason, p.candidateId])).toEqual([
      ["P-100", "the name in the file differs from the patient with MRN P-100", janeId],
      ["P-999", "no patient has MRN P-999", null],
    ]);
    // The held bytes are the file the PACS stored.
    expect(pending[1]!.bytes.length).toBeGreaterThan(1000);

    const audit = await t.db.auditEvent.findMany({ where: { action: { in: ["scan.uploaded", "dicomweb.received"] } } });
    expect(audit.filter((a) => a.action === "dicomweb.received")).toHaveLength(5);
    const uploaded = audit.find((a) => a.action === "scan.uploaded")!;
    expect(uploaded.details).toMatchObject({ origin: "dicomweb", via: "poll", remote: orthanc.dicomweb });

    const state = await t.db.dicomwebPollState.findUniqueOrThrow({ where: { source: cfg.url } });
    expect(state).toMatchObject({ failures: 0, lastError: null, seen: 5, ingested: 1, refused: 2, pending: 2 });
    expect(state.lastSuccessAt).not.toBeNull();
  });

  it("a second poll finds nothing new and stores nothing twice", async () => {
    const before = await t.db.scan.count();
    const report = await pollOnce(t.db, cfg, settings, { store });
    expect(report).toMatchObject({ seen: 0, ingested: 0, error: null });
    expect(await t.db.scan.count()).toBe(before);
  });

  it("an admin decides the waiting films; the PatientID link makes later films follow; a discarded one stays out", async () => {
    const waiting = await listPending(t.db);
    const unknown = waiting.find((p) => p.dicomPatientId === "P-999")!;
    const conflict = waiting.find((p) => p.dicomPatientId === "P-100")!;
    expect(unknown).toMatchObject({ patientName: "Richard Roe", candidate: null });
    expect(conflict.candidate).toMatchObject({ id: janeId, mrn: "P-100" });

    const created = await confirmPending(t.db, { id: unknown.id, choice: "create" }, admin);
    expect(created).toMatchObject({ outcome: "ingested", alsoFiled: 0 });
    const richard = await t.db.patient.findUniqueOrThrow({ where: { mrn: "P-999" }, include: { scans: true } });
    expect(richard.name).toBe("Richard Roe");
    expect(richard.scans).toHaveLength(1);

    // The admin says the film named "Smith^John" is Jane's: filed, and that name no longer conflicts for P-100.
    expect(await confirmPending(t.db, { id: conflict.id, choice: "existing", mrn: "P-100" }, admin)).toMatchObject({
      outcome: "ingested",
    });
    expect(await t.db.scan.count({ where: { patientId: janeId } })).toBe(2);
    const confirmed = await t.db.auditEvent.findMany({ where: { action: "dicomweb.confirmed" } });
    expect(confirmed.map((e) => e.actorEmail)).toEqual(["pacs-admin@example.test", "pacs-admin@example.test"]);

    await orthanc.storescu([
      await film("smith-again.dcm", "coh00011", { PatientID: "P-100", PatientName: "Smith^John" }),
      await film("stranger.dcm", "coh00012", { PatientID: "P-998", PatientName: "Nobody^Known" }),
    ]);
    expect(await pollOnce(t.db, cfg, settings, { store })).toMatchObject({ ingested: 1, pending: 1, error: null });
    expect(await t.db.scan.count({ where: { patientId: janeId } })).toBe(3);
    const stranger = (await listPending(t.db)).find((p) => p.dicomPatientId === "P-998")!;
    await discardPending(t.db, stranger.id, admin);
    expect(await listPending(t.db)).toEqual([]);
    const row = await t.db.dicomwebInstance.findFirstOrThrow({ where: { reason: "discarded by an admin" } });
    expect(row.outcome).toBe("refused");
    await expect(discardPending(t.db, stranger.id, admin)).rejects.toThrow(/no longer waiting/);
    await expect(confirmPending(t.db, { id: stranger.id, choice: "existing", mrn: "P-100" }, admin)).rejects.toThrow(
      /no longer waiting/,
    );
  });

  it("creates an unknown patient from the file when the setting allows it", async () => {
    await orthanc.storescu([
      await film("new-patient.dcm", "coh00006", {
        PatientID: "P-200",
        PatientName: "Poe^Edgar",
        PatientSex: "M",
        PatientBirthDate: "19700101",
      }),
    ]);
    const report = await pollOnce(t.db, cfg, { ...settings, createPatients: true }, { store });
    expect(report).toMatchObject({ seen: 1, ingested: 1, error: null });
    const patient = await t.db.patient.findUniqueOrThrow({ where: { mrn: "P-200" }, include: { scans: true } });
    expect(patient).toMatchObject({ name: "Edgar Poe", sex: "male", birthYear: 1970 });
    expect(patient.scans).toHaveLength(1);
    const created = await t.db.auditEvent.findFirstOrThrow({
      where: { action: "patient.created", patientId: patient.id },
    });
    expect(created.details).toEqual({ via: "dicomweb" });
  });

  it("backs off while Orthanc is down, even when it stops mid-poll, and catches up after without duplicates", async () => {
    await orthanc.storescu(
      await Promise.all(
        ["coh00007", "coh00008", "coh00009", "coh00010"].map((c, i) =>
          film(`later-${i}.dcm`, c, { PatientID: "P-100", PatientName: "Doe^Jane", StudyDate: `2026120${i + 2}` }),
        ),
      ),
    );
    const scansBefore = await t.db.scan.count({ where: { patientId: janeId } });
    const instancesBefore = await t.db.dicomwebInstance.count();
    // Stop the PACS as soon as the first new instance is recorded: the poll is then half done.
    let stopped = false;
    const watcher = (async () => {
      for (let i = 0; i < 3000 && !stopped; i++) {
        if ((await t.db.dicomwebInstance.count()) > instancesBefore) {
          await orthanc.stop();
          stopped = true;
        } else await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const interrupted = await pollOnce(t.db, cfg, settings, { store, batch: 1 });
    await watcher;
    expect(stopped).toBe(true);
    expect(interrupted.error).toMatch(/cannot reach/);
    expect(interrupted.ingested).toBeGreaterThanOrEqual(1);
    expect(interrupted.ingested).toBeLessThan(4);
    let state = await t.db.dicomwebPollState.findUniqueOrThrow({ where: { source: cfg.url } });
    expect(state.failures).toBe(1);
    expect(state.lastError).toMatch(/cannot reach/);
    expect(state.nextPollAt!.getTime() - state.lastPollAt!.getTime()).toBeGreaterThanOrEqual(60_000 - 1000);

    const down = await pollOnce(t.db, cfg, settings, { store });
    expect(down.error).toMatch(/cannot reach/);
    state = await t.db.dicomwebPollState.findUniqueOrThrow({ where: { source: cfg.url } });
    expect(state.failures).toBe(2);
    expect(backoffSeconds(30, 2)).toBe(120);
    expect(state.nextPollAt!.getTime() - state.lastPollAt!.getTime()).toBeGreaterThanOrEqual(120_000 - 1000);

    await orthanc.start();
    const caughtUp = await pollOnce(t.db, cfg, settings, { store });
    expect(caughtUp.error).toBeNull();
    expect(interrupted.ingested + caughtUp.ingested).toBe(4);
    state = await t.db.dicomwebPollState.findUniqueOrThrow({ where: { source: cfg.url } });
    expect(state.failures).toBe(0);
    expect(state.lastError).toBeNull();

    const scans = await t.db.scan.findMany({ where: { patientId: janeId }, select: { sha256: true } });
    expect(scans).toHaveLength(scansBefore + 4);
    expect(new Set(scans.map((s) => s.sha256)).size).toBe(scans.length);
  });
});
