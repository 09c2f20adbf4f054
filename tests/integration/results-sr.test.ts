// Results back to the PACS against a real Orthanc (Debian's orthanc + orthanc-dicomweb, on loopback ports): a film
// sent with storescu is polled, assessed against a real reference library, and its result goes back through the
// queue as a DICOM SR over STOW-RS. The SR is found again with QIDO-RS, retrieved with WADO-RS, passes DCMTK's
// dsrdump and dcmdump and dicom3tools' dciodvfy, and carries the values of the scan's FHIR Observation; a resend
// names the same instance; a PACS that is down delays the SR (audited failures, back-off) without delaying the
// film; with the setting off nothing is sent.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ActionContext } from "@/lib/actions/define-action";
import { hashPassword } from "@/lib/auth/password";
import type { DicomwebConfig } from "@/lib/config";
import { DicomwebClient, valueOf, type DicomJson } from "@/lib/dicomweb/client";
import { pollOnce } from "@/lib/dicomweb/poller";
import { receiveInstances } from "@/lib/dicomweb/receive";
import { saveSettingsInput } from "@/lib/dicomweb/schemas";
import { activeDicomweb, receiveSettings, saveSettings as saveDicomwebSettings } from "@/lib/dicomweb/settings";
import { observationResource } from "@/lib/fhir/resources";
import { patientRecord } from "@/lib/fhir/service";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { stopJobQueue } from "@/lib/jobs/boss";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, readCorpusTable, smallAdultLibrary } from "@/tests/support/reference/corpus-subset";
import { queueResultSends, resultsQueue, startResultsWorker, stopResultsWorker } from "@/lib/results/queue";
import { sendResult, type SendOutcome } from "@/lib/results/send";
import { resultsStatus } from "@/lib/results/status";
import { COMPREHENSIVE_SR, DECISION_SUPPORT } from "@/lib/results/sr";
import { dcmtkCheck, readSr } from "@/tests/support/sr-check";
import { ingestScan } from "@/lib/scans/ingest";
import { withdrawScan } from "@/lib/scans/withdraw";
import { startOrthanc, type TestOrthanc } from "@/tests/support/orthanc";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

describe("results to the PACS as DICOM SR (real Orthanc)", () => {
  let t: TestDatabase;
  let orthanc: TestOrthanc;
  let fx: FixtureDir;
  let dataDir: string;
  let cfg: DicomwebConfig;
  let client: DicomwebClient;
  let patientId: string;
  let subset: Awaited<ReturnType<typeof makeCorpusSubset>>;
  let admin: ActionContext;
  /** Every answer of the results worker, in order. */
  const sent: { scanId: string; outcome: SendOutcome | Error }[] = [];

  async function film(name: string, corpus: string, keys: Record<string, string> = {}) {
    await fx.img2dcm(corpusPath(corpus), name, {
      PatientID: "R-1",
      PatientName: "Result^Rita",
      PatientSex: "F",
      PatientBirthDate: "19610203",
      Modality: "CR",
      BodyPartExamined: "CHEST",
      ViewPosition: "PA",
      StudyDate: "20261202",
      StudyTime: "101500",
      StudyID: "R1",
      AccessionNumber: "ACC-R1",
      ...keys,
    });
    return fx.file(name);
  }

  async function until<T>(what: string, probe: () => T | undefined, seconds = 60): Promise<T> {
    for (let i = 0; i < seconds * 5; i++) {
      const value = probe();
      if (value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  async function qido(pathAndQuery: string): Promise<DicomJson[]> {
    const auth = `Basic ${Buffer.from(`${orthanc.username}:${orthanc.password}`).toString("base64")}`;
    const r = await fetch(`${orthanc.dicomweb}${pathAndQuery}`, {
      headers: { authorization: auth, accept: "application/dicom+json" },
    });
    if (r.status === 204) return [];
    expect(r.ok).toBe(true);
    return (await r.json()) as DicomJson[];
  }

  /** As an admin saves them on Admin → PACS. */
  async function saveSettings(sendResults: boolean) {
    const input = saveSettingsInput.parse({
      enabled: "on",
      url: orthanc.dicomweb,
      username: orthanc.username,
      password: orthanc.password,
      pollSeconds: "30",
      ...(sendResults ? { sendResults: "on" } : {}),
    });
    await saveDicomwebSettings(t.db, input, admin);
    expect((await activeDicomweb(t.db)).config?.sendResults).toBe(sendResults);
    const audit = await t.db.auditEvent.findFirstOrThrow({
      where: { action: "dicomweb.settings_changed" },
      orderBy: { id: "desc" },
    });
    expect(audit.details).toMatchObject({ sendResults });
  }

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-results-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    delete process.env.RADTRACK_DICOMWEB_URL;
    t = await createTestDatabase();
    const table = await readCorpusTable();
    subset = await makeCorpusSubset(table, { ids: smallAdultLibrary(table, { nih: 30, coh: 16 }) });
    await importReferenceLibrary(t.db, subset.dir, { includePediatric: false });
    fx = await FixtureDir.create();
    orthanc = await startOrthanc();
    cfg = {
      url: orthanc.dicomweb,
      auth: { kind: "basic", username: orthanc.username, password: orthanc.password },
      pollSeconds: 30,
      modalities: ["CR", "DX"],
      aeTitles: [],
      institutions: [],
      sendResults: true,
    };
    client = new DicomwebClient(cfg.url, cfg.auth);
    patientId = (await t.db.patient.create({ data: { mrn: "R-1", name: "Rita Result", sex: "female" } })).id;
    const u = await t.db.user.create({
      data: {
        email: "pacs@example.test",
        name: "Admin",
        role: "admin",
        passwordHash: await hashPassword("pw-12345678"),
      },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "198.51.100.9" };
    await saveSettings(true);
    // Short back-off for the test; production waits 30 s doubling (the queue is created once, with these options).
    await resultsQueue(undefined, { retryLimit: 4, retryDelay: 1 });
    await startResultsWorker({
      db: t.db,
      pollingIntervalSeconds: 0.5,
      onSent: (scanId, outcome) => sent.push({ scanId, outcome }),
    });
  });

  afterAll(async () => {
    await stopResultsWorker();
    await stopJobQueue();
    await orthanc?.remove();
    await t?.close();
    await fx?.remove();
    await subset?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("sends the SR of a polled film; Orthanc stores it in the film's study; its content is the Observation's", async () => {
    await orthanc.storescu([await film("polled.dcm", "nih00011")]);
    const report = await pollOnce(t.db, cfg, receiveSettings(cfg));
    expect(report).toMatchObject({ ingested: 1, error: null });
    const instance = await t.db.dicomwebInstance.findFirstOrThrow({ where: { outcome: "ingested" } });
    const scanId = instance.scanId!;

    const answer = await until("the results worker", () => sent.find((s) => s.scanId === scanId));
    expect(answer.outcome).toMatchObject({ kind: "sent", remote: orthanc.dicomweb, studyUid: instance.studyUid });
    const outcome = answer.outcome as Extract<SendOutcome, { kind: "sent" }>;
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: "result.sent", targetId: scanId } });
    expect(audit.patientId).toBe(patientId);
    expect(audit.details).toMatchObject({
      remote: orthanc.dicomweb,
      format: "dicom-sr",
      sopInstanceUid: outcome.sopInstanceUid,
      studyUid: instance.studyUid,
    });

    // QIDO-RS: the study now holds the film's series and the SR series.
    const series = await qido(`/studies/${instance.studyUid}/series`);
    expect(series.map((s) => valueOf(s, "00080060")).sort()).toEqual(["CR", "SR"]);
    const srSeries = series.find((s) => valueOf(s, "00080060") === "SR")!;
    expect(valueOf(srSeries, "0020000E")).toBe(outcome.seriesUid);
    const instances = await qido(`/studies/${instance.studyUid}/series/${outcome.seriesUid}/instances`);
    expect(instances.map((i) => valueOf(i, "00080018"))).toEqual([outcome.sopInstanceUid]);
    expect(valueOf(instances[0]!, "00080016")).toBe(COMPREHENSIVE_SR);

    // WADO-RS: the stored file, checked by DCMTK and read back.
    const bytes = await client.retrieveInstance(instance.studyUid, outcome.seriesUid, outcome.sopInstanceUid);
    await writeFile(fx.file("retrieved-sr.dcm"), bytes);
    const check = await dcmtkCheck(fx.file("retrieved-sr.dcm"));
    expect(check.problems).toEqual([]);
    expect(check.dsrdump).toMatch(/^Comprehensive SR Document/m);
    const sr = readSr(bytes);
    expect(sr.dataset).toMatchObject({
      PatientID: "R-1",
      PatientSex: "F",
      PatientBirthDate: "19610203",
      AccessionNumber: "ACC-R1",
      StudyInstanceUID: instance.studyUid,
      PreliminaryFlag: "PRELIMINARY",
    });
    expect(sr.images).toEqual([instance.sopInstanceUid]);
    expect(sr.texts.get("121106")).toBe(DECISION_SUPPORT);

    // The same numbers as the FHIR Observation of this scan.
    const record = (await patientRecord(t.db, patientId))!;
    const scan = record.scans.find((s) => s.id === scanId)!;
    expect(scan.assessment).not.toBeNull();
    const observation = observationResource(patientId, scan, { base: "http://radtrack.test" })!;
    const a = scan.assessment!;
    expect(sr.nums.get("neighbour-index")?.value).toBe(Number(a.index.toFixed(4)));
    expect(sr.nums.get("nbrs-healthy")?.value).toBe(a.mix.healthy);
    expect(sr.nums.get("nbrs-infected")?.value).toBe(a.mix.infected);
    expect(sr.nums.get("nbrs-severe")?.value).toBe(a.mix.severe);
    expect(a.mix.healthy + a.mix.infected + a.mix.severe).toBe(36);
    expect(sr.codes.get("region")).toBe(`region-${a.region}`);
    expect(sr.texts.get("111001")).toBe(scan.model!.id);
    expect(sr.texts.get("library-state")).toBe(a.libraryStamp);
    if (scan.extent) {
      expect(observation.valueQuantity?.value).toBe(sr.nums.get("extent")?.value);
      expect(sr.nums.get("extent-lo")?.value).toBe(Number(scan.extent.lo.toFixed(4)));
      expect(sr.nums.get("extent-hi")?.value).toBe(Number(scan.extent.hi.toFixed(4)));
    } else {
      expect(observation.valueQuantity?.value).toBe(sr.nums.get("neighbour-index")?.value);
      expect(sr.nums.has("extent")).toBe(false);
    }

    // Sent again: the same instance, still one SR in the PACS.
    const again = await sendResult(t.db, scanId);
    expect(again).toEqual(outcome);
    expect(await qido(`/studies/${instance.studyUid}/series/${outcome.seriesUid}/instances`)).toHaveLength(1);
    expect(await t.db.auditEvent.count({ where: { action: "result.sent", targetId: scanId } })).toBe(2);
  });

  it("stores a pushed film at once while the PACS is down, then sends its SR when the PACS is back", async () => {
    const before = sent.length;
    await orthanc.stop();
    const pushed = await readFile(await film("pushed.dcm", "nih00012", { StudyDate: "20261203" }));
    const [received] = await receiveInstances(
      t.db,
      [pushed],
      { via: "stow", remote: "stow:test" },
      receiveSettings(cfg),
      {
        actor: null,
        ip: null,
      },
    );
    expect(received!.outcome).toBe("ingested");
    const scanId = received!.scanId!;
    await until("a failed send", () =>
      sent.slice(before).find((s) => s.scanId === scanId && s.outcome instanceof Error),
    );
    const failed = await t.db.auditEvent.findFirstOrThrow({
      where: { action: "result.send_failed", targetId: scanId },
    });
    expect(failed.details).toMatchObject({ remote: orthanc.dicomweb, format: "dicom-sr" });
    expect(String((failed.details as { error: string }).error)).toMatch(/cannot reach/);

    await orthanc.start();
    const ok = await until("the retried send", () =>
      sent.slice(before).find((s) => s.scanId === scanId && !(s.outcome instanceof Error)),
    );
    expect(ok.outcome).toMatchObject({ kind: "sent", studyUid: received!.studyUid });
    const series = await qido(`/studies/${received!.studyUid}/series?Modality=SR`);
    expect(series).toHaveLength(1);
  });

  it("sends nothing for a film that did not come from the PACS, a withdrawn film, or when the setting is off", async () => {
    // An uploaded JPEG: the PACS has no study to file its result in.
    const upload = await ingestScan(
      t.db,
      {
        patientId,
        bytes: await readFile(corpusPath("nih00013")),
        origin: "upload",
        acquiredAt: new Date("2026-12-04"),
      },
      { actor: null, ip: null },
    );
    expect(await sendResult(t.db, upload.scanId)).toEqual({
      kind: "skipped",
      reason: "the film did not come from the PACS",
    });

    // The status page's summary, from the audit trail.
    const before = await resultsStatus(t.db);
    expect(before).toMatchObject({ on: true, sent: await t.db.auditEvent.count({ where: { action: "result.sent" } }) });
    expect(before.sent).toBeGreaterThanOrEqual(3);
    expect(before.failedAttempts).toBeGreaterThanOrEqual(1);
    expect(before.lastFailure?.error).toMatch(/cannot reach/);

    // A withdrawn film's result is never sent, even from a job queued before the withdrawal.
    const pushed = await t.db.dicomwebInstance.findFirstOrThrow({ where: { via: "stow", outcome: "ingested" } });
    await withdrawScan(t.db, { scanId: pushed.scanId!, reason: "filed under the wrong patient" }, admin);
    expect(await sendResult(t.db, pushed.scanId!)).toEqual({ kind: "skipped", reason: "the scan was withdrawn" });

    await saveSettings(false);
    const anyPolled = await t.db.dicomwebInstance.findFirstOrThrow({ where: { outcome: "ingested" } });
    expect(await sendResult(t.db, anyPolled.scanId!)).toEqual({ kind: "off" });
    expect(await queueResultSends(t.db, [anyPolled.scanId!])).toBe(0);
    expect((await resultsStatus(t.db)).on).toBe(false);
  });
});
