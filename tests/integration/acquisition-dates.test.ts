// One date rule for every way a film's date comes in (issue #11, item 2): bad DICOM dates are refused with a clear
// message and nothing stored (or give way to the form's date, with a warning), bulk files with a bad header date fail
// alone without leaving the job "checking", and films of one day keep the order of their times of day.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ActionContext } from "@/lib/actions/define-action";
import { hashPassword } from "@/lib/auth/password";
import { checkDraft, createDraft, payloadOf, receiveChunk } from "@/lib/bulk/service";
import { buildZip } from "@/lib/bulk/zip-writer";
import { corpusPath, readCorpus } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { patientTimeline } from "@/lib/timeline/timeline";
import { createToken } from "@/lib/tokens/service";
import { callRoute } from "@/tests/support/api-call";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as patientScansRoute from "@/app/api/v1/patients/[id]/scans/route";

const BAD_DATES = ["99991231", "00010101", "18000101", "00000101"];

describe("acquisition dates and times", () => {
  let t: TestDatabase;
  let dataDir: string;
  let fx: FixtureDir;
  let token: string;
  let admin: ActionContext;

  beforeAll(async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-dates-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    fx = await FixtureDir.create();
    const u = await t.db.user.create({
      data: {
        email: "dates@example.test",
        name: "Dates",
        role: "admin",
        passwordHash: await hashPassword("pw-dates-1"),
      },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "192.0.2.10" };
    token = (await createToken(t.db, { userId: u.id, name: "dates" }, { actor: null, ip: null })).token;
  });
  afterAll(async () => {
    await t?.close();
    await fx?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  const newPatient = (mrn: string) => t.db.patient.create({ data: { mrn, name: mrn, sex: "unknown" } });

  async function dicom(name: string, corpusId: string, keys: Record<string, string>): Promise<Buffer> {
    await fx.img2dcm(corpusPath(corpusId), name, { PatientID: "DATES-1", ...keys });
    return fx.read(name);
  }

  function upload(patientId: string, bytes: Buffer, fields: Record<string, string> = {}) {
    const form = new FormData();
    form.set("file", new File([new Uint8Array(bytes)], "scan.dcm"));
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    return callRoute(patientScansRoute.POST, `/api/v1/patients/${patientId}/scans`, {
      token,
      body: form,
      params: { id: patientId },
    });
  }

  async function storedFiles() {
    return (await readdir(path.join(dataDir, "scans"), { recursive: true }).catch(() => [])).length;
  }

  it("refuses a DICOM whose date is 9999, year 1, 1800 or year 0 with a clear 400, storing nothing", async () => {
    const p = await newPatient("DATES-1");
    for (const date of BAD_DATES) {
      const bytes = await dicom(`bad-${date}.dcm`, "coh00001", { AcquisitionDate: date });
      const files = await storedFiles();
      const response = await upload(p.id, bytes);
      const body = (await response.json()) as { error: string; code: string };
      expect(response.status, date).toBe(400);
      expect(body.code).toBe("bad_date");
      expect(body.error).toContain(`The DICOM AcquisitionDate "${date}" cannot be used`);
      expect(body.error).toMatch(/Enter the acquisition date on the form/);
      expect(await t.db.scan.count({ where: { patientId: p.id } })).toBe(0);
      expect(await storedFiles()).toBe(files);
    }
    // A bad StudyDate (the only date tag) is refused the same way.
    const study = await dicom("bad-study.dcm", "coh00002", { StudyDate: "99991231" });
    const r = await upload(p.id, study);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/StudyDate "99991231".*cannot be in the future/);
  });

  it("uses the form's date over a bad header date, with a warning; the form's own date obeys the same rule", async () => {
    const p = await newPatient("DATES-2");
    const bytes = await dicom("bad-given.dcm", "coh00001", { AcquisitionDate: "00000101" });
    const ok = await upload(p.id, bytes, { acquiredAt: "2024-05-01" });
    const body = (await ok.json()) as { acquiredAt: string; acquiredTime: string | null; warnings: string[] };
    expect(ok.status).toBe(201);
    expect(body.acquiredAt).toBe("2024-05-01T00:00:00.000Z");
    expect(body.warnings.join(" ")).toMatch(/AcquisitionDate "00000101" cannot be used.*The date you gave was used/);

    const early = await upload(p.id, await dicom("early.dcm", "coh00002", {}), { acquiredAt: "1894-12-31" });
    expect(early.status).toBe(400);
    expect(JSON.stringify(await early.json())).toContain("The acquisition date cannot be before 1895.");
    const timeOnly = await upload(p.id, await dicom("time-only.dcm", "coh00002", {}), { acquiredTime: "10:00" });
    expect(timeOnly.status).toBe(400);
    expect(JSON.stringify(await timeOnly.json())).toContain("Give the acquisition date with the time.");
    expect(await t.db.scan.count({ where: { patientId: p.id } })).toBe(1);
  });

  it("orders films of one day by their time (DICOM AcquisitionTime / ContentTime or the form's time)", async () => {
    const p = await newPatient("DATES-3");
    const afternoon = await dicom("pm.dcm", "coh00001", { AcquisitionDate: "20240601", AcquisitionTime: "150000" });
    const morning = await dicom("am.dcm", "coh00002", { ContentDate: "20240601", ContentTime: "093000.5" });
    const dayBefore = await dicom("before.dcm", "nih00001", { StudyDate: "20240531" });
    // Uploaded out of order, one of them with the time on the form.
    expect((await upload(p.id, afternoon)).status).toBe(201);
    const eight = await upload(p.id, await readCorpus("nih00002"), { acquiredAt: "2024-06-01", acquiredTime: "08:00" });
    expect(eight.status).toBe(201);
    expect((await upload(p.id, morning)).status).toBe(201);
    expect((await upload(p.id, dayBefore)).status).toBe(201);

    const list = await callRoute(patientScansRoute.GET, `/api/v1/patients/${p.id}/scans`, {
      token,
      params: { id: p.id },
    });
    const scans = ((await list.json()) as { scans: { acquiredAt: string; acquiredTime: string | null }[] }).scans;
    expect(scans.map((s) => [s.acquiredAt.slice(0, 10), s.acquiredTime])).toEqual([
      ["2024-05-31", null],
      ["2024-06-01", "08:00:00.000"],
      ["2024-06-01", "09:30:00.500"],
      ["2024-06-01", "15:00:00.000"],
    ]);
    const timeline = await patientTimeline(t.db, p.id);
    expect(timeline.scans.map((s) => s.acquiredAt.toISOString())).toEqual([
      "2024-05-31T00:00:00.000Z",
      "2024-06-01T08:00:00.000Z",
      "2024-06-01T09:30:00.500Z",
      "2024-06-01T15:00:00.000Z",
    ]);
    // The page shows a time only where one was recorded: the day before's midnight is not "00:00".
    expect(timeline.scans.map((s) => s.timed)).toEqual([false, true, true, true]);
  });

  it("fails only the bulk file whose header date is bad; the job is checked, never stuck in checking", async () => {
    const good = await dicom("bulk-good.dcm", "coh00001", { PatientID: "BULK-D", StudyDate: "20240611" });
    const zero = await dicom("bulk-zero.dcm", "coh00002", { PatientID: "BULK-D", AcquisitionDate: "00000101" });
    const future = await dicom("bulk-future.dcm", "nih00001", { PatientID: "BULK-D", StudyDate: "99991231" });
    const zip = buildZip([
      { name: "good.dcm", data: good },
      { name: "zero.dcm", data: zero },
      { name: "future.dcm", data: future },
    ]);
    const { jobId } = await createDraft(t.db, { files: [{ name: "scans.zip", size: zip.length }] }, admin);
    await receiveChunk(t.db, jobId, 0, 0, zip, { dataDir });
    const result = await checkDraft(t.db, jobId, admin, { dataDir });
    expect(result.refused).toBe(false);
    const job = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(payloadOf(job).phase).toBe("checked");
    const items = await t.db.bulkItem.findMany({ where: { jobId }, orderBy: { seq: "asc" } });
    const byFile = Object.fromEntries(items.map((i) => [i.file, i]));
    expect(byFile["good.dcm"]).toMatchObject({ status: "needs_patient" });
    expect(byFile["good.dcm"]!.acquiredAt!.toISOString().slice(0, 10)).toBe("2024-06-11");
    expect(byFile["zero.dcm"]).toMatchObject({ status: "refused", acquiredAt: null });
    expect(byFile["zero.dcm"]!.reason).toMatch(/AcquisitionDate "00000101" cannot be used: .*before 1895.*manifest/);
    expect(byFile["future.dcm"]!.reason).toMatch(/StudyDate "99991231" cannot be used: .*in the future/);
  });

  it("applies the rule to bulk manifest dates", async () => {
    const jpeg = await fx.read("pm.dcm");
    const manifest = Buffer.from("mrn,acquired_at,file\nBULK-M,1800-01-01,a.dcm\n");
    const { jobId } = await createDraft(
      t.db,
      { files: [{ name: "a.dcm", size: jpeg.length }], manifest: { name: "m.csv", size: manifest.length } },
      admin,
    );
    await receiveChunk(t.db, jobId, 0, 0, jpeg, { dataDir });
    await receiveChunk(t.db, jobId, 1, 0, manifest, { dataDir });
    expect((await checkDraft(t.db, jobId, admin, { dataDir })).refused).toBe(false);
    const item = await t.db.bulkItem.findFirstOrThrow({ where: { jobId, file: "a.dcm" } });
    expect(item).toMatchObject({ status: "refused" });
    expect(item.reason).toMatch(/acquired_at "1800-01-01": The acquisition date cannot be before 1895/);
  });
});
