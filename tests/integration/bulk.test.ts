// Bulk upload end to end below the web layer: hostile archives refused with reasons before any work, manifest
// checks per row, and a job of real corpus X-rays through the real queue (pg-boss) and worker: the right scans, an
// audit trail, a report, nothing added by a second run, and a job resumed after its worker "died".
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ActionContext } from "@/lib/actions/define-action";
import { hashPassword } from "@/lib/auth/password";
import { stopJobQueue } from "@/lib/jobs/boss";
import {
  cancelJob,
  checkDraft,
  createDraft,
  jobProgress,
  receiveChunk,
  reportCsv,
  submitJob,
  type CheckResult,
} from "@/lib/bulk/service";
import { stagingDir } from "@/lib/bulk/staging";
import { acquireLease, releaseLease, renewLease, type LeaseToken } from "@/lib/bulk/lease";
import { runSlice, startBulkWorker, stopBulkWorker, sweep } from "@/lib/bulk/worker";
import { UserFacingError } from "@/lib/errors";
import { DuplicateScanError } from "@/lib/scans/errors";
import { ingestScans } from "@/lib/scans/ingest";
import { sha256Of } from "@/lib/scans/pipeline";
import { ScanStore } from "@/lib/storage/scan-store";
import { buildZip, type ZipWriterEntry } from "@/lib/bulk/zip-writer";
import { corpusDir } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

const CORPUS = ["coh00001", "coh00002", "nih00001", "nih00002", "ped00001", "mhh00001"];

describe("bulk upload", () => {
  let t: TestDatabase;
  let dataDir: string;
  let admin: ActionContext;
  const jpeg: Record<string, Buffer> = {};

  beforeAll(async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    t = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-bulk-"));
    const u = await t.db.user.create({
      data: {
        email: "bulk@example.test",
        name: "Bulk",
        role: "admin",
        passwordHash: await hashPassword("bulk-password-1"),
      },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "198.51.100.9" };
    const files = await readdir(corpusDir());
    for (const id of CORPUS) {
      const name = files.find((f) => f.startsWith(id));
      expect(name, `corpus image ${id}`).toBeDefined();
      jpeg[id] = await readFile(path.join(corpusDir(), name!));
    }
  });
  afterAll(async () => {
    await stopBulkWorker();
    await stopJobQueue();
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Declares, sends and checks an upload, as the browser does. */
  async function upload(files: { name: string; data: Buffer }[], manifest?: string) {
    const manifestBytes = manifest === undefined ? undefined : Buffer.from(manifest);
    const { jobId } = await createDraft(
      t.db,
      {
        files: files.map((f) => ({ name: f.name, size: f.data.length })),
        manifest: manifestBytes ? { name: "manifest.csv", size: manifestBytes.length } : undefined,
      },
      admin,
    );
    const all = [...files.map((f) => f.data), ...(manifestBytes ? [manifestBytes] : [])];
    for (const [index, data] of all.entries()) {
      const half = Math.floor(data.length / 2);
      await receiveChunk(t.db, jobId, index, 0, data.subarray(0, half), { dataDir });
      await receiveChunk(t.db, jobId, index, half, data.subarray(half), { dataDir });
    }
    const result = await checkDraft(t.db, jobId, admin, { dataDir });
    return { jobId, result };
  }

  const zipOf = (entries: ZipWriterEntry[]) => ({ name: "scans.zip", data: buildZip(entries) });
  const problemsOf = (result: CheckResult) => (result.refused ? result.problems.join("\n") : "");

  async function expectNothingStored(jobId: string) {
    expect(await t.db.scan.count()).toBe(0);
    expect(existsSync(stagingDir(dataDir, jobId))).toBe(false);
    expect(existsSync(path.join(dataDir, "scans"))).toBe(false);
    const job = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job.status).toBe("failed");
  }

  it("refuses a zip bomb by the sizes it declares, before inflating anything", async () => {
    const { jobId, result } = await upload([
      zipOf([
        { name: "a.jpg", data: jpeg.coh00001 },
        { name: "bomb.dcm", data: Buffer.alloc(1000), declaredSize: 3_000_000_000 },
      ]),
    ]);
    expect(result.refused).toBe(true);
    expect(problemsOf(result)).toMatch(
      /"bomb\.dcm" declares .* \(ratio \d+:1, the limit is 100:1\): this looks like a zip bomb/,
    );
    expect(problemsOf(result)).toMatch(/would unpack to .*; the limit is 2048 MB/);
    await expectNothingStored(jobId);
  });

  it("refuses a zip bomb by the bytes that really come out, when the sizes lie", async () => {
    // 20 MB of zeros deflate to ~20 kB; the headers claim 1000 bytes, so the declared ratio looks harmless.
    const { jobId, result } = await upload([
      zipOf([{ name: "liar.dcm", data: Buffer.alloc(20_000_000), declaredSize: 1000 }]),
    ]);
    expect(result.refused).toBe(true);
    expect(problemsOf(result)).toMatch(
      /"liar\.dcm" inflates to more than the 1000 bytes it declares: refused as a zip bomb/,
    );
    await expectNothingStored(jobId);
  });

  it("refuses an upload whose files add up past the total limit", async () => {
    vi.stubEnv("RADTRACK_BULK_MAX_MB", "1");
    try {
      const big = Buffer.alloc(700_000, 7);
      const { result } = await upload([
        zipOf([
          { name: "one.jpg", data: big },
          { name: "two.jpg", data: big },
        ]),
      ]);
      expect(result.refused).toBe(true);
      expect(problemsOf(result)).toMatch(/would unpack to 1\.3 MB in all; the limit is 1 MB/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("refuses path traversal, absolute paths, drive letters, backslashes and symbolic links, naming each", async () => {
    const { jobId, result } = await upload([
      zipOf([
        { name: "ok.jpg", data: jpeg.coh00001 },
        { name: "../../etc/cron.d/evil.jpg", data: jpeg.coh00002 },
        { name: "/tmp/abs.jpg", data: jpeg.coh00002 },
        { name: "C:/Windows/x.jpg", data: jpeg.coh00002 },
        { name: "dir\\..\\..\\y.jpg", data: jpeg.coh00002 },
        { name: "link.jpg", data: Buffer.from("/etc/passwd"), symlink: true },
      ]),
    ]);
    expect(result.refused).toBe(true);
    const text = problemsOf(result);
    expect(text).toContain('Entry "../../etc/cron.d/evil.jpg" climbs out of the archive folder with ".."');
    expect(text).toContain('Entry "/tmp/abs.jpg" is an absolute path');
    expect(text).toContain('Entry "C:/Windows/x.jpg" starts with a drive letter');
    expect(text).toContain("uses backslashes in its path");
    expect(text).toContain('Entry "link.jpg" is a symbolic link');
    await expectNothingStored(jobId);
    expect(existsSync("/tmp/abs.jpg")).toBe(false);
  });

  it("refuses nested archives and files that are not images, with reasons, and stores nothing", async () => {
    const inner = buildZip([{ name: "x.jpg", data: jpeg.coh00001 }]);
    const { jobId, result } = await upload([
      zipOf([
        { name: "inner.zip", data: inner },
        { name: "notes.txt", data: Buffer.from("patient notes, not an image\n".repeat(20)) },
        { name: "folder/", data: Buffer.alloc(0) },
        { name: "empty.jpg", data: Buffer.alloc(0) },
      ]),
    ]);
    expect(result.refused).toBe(false);
    const items = await t.db.bulkItem.findMany({ where: { jobId }, orderBy: { seq: "asc" } });
    expect(items.map((i) => [i.file, i.status])).toEqual([
      ["inner.zip", "refused"],
      ["notes.txt", "refused"],
      ["empty.jpg", "refused"],
    ]);
    expect(items[0]!.reason).toMatch(/Nested archive \(a ZIP archive\)/);
    expect(items[1]!.reason).toMatch(/Not a JPEG, PNG or DICOM image: this is a text file/);
    expect(items[2]!.reason).toMatch(/an empty file/);
    await expect(submitJob(t.db, { jobId, createPatients: true }, admin)).rejects.toThrow(/Nothing to process/);
    expect(await t.db.scan.count()).toBe(0);
    await cancelJob(t.db, jobId, admin, { dataDir });
    expect(existsSync(stagingDir(dataDir, jobId))).toBe(false);
  });

  it("checks every manifest row and says what is wrong with each", async () => {
    await t.db.patient.create({ data: { mrn: "MAN-1", name: "Manifest One", sex: "female" } });
    const future = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const manifest = [
      "mrn,acquired_at,file,view",
      "MAN-1,2024-02-30,a.jpg,PA",
      `MAN-1,${future},b.jpg,PA`,
      "bad mrn!,2024-01-01,c.jpg,PA",
      "MAN-1,2024-01-01,d.jpg,sideways",
      "MAN-1,2024-01-01,missing.jpg,PA",
      "MAN-1,2024-01-01,e.jpg,PA",
      "MAN-1,2024-01-02,e.jpg,AP",
      "NEW-7,2024-01-03,f.jpg,",
      ",2024-01-03,g.jpg,",
    ].join("\n");
    const names = ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg", "g.jpg", "unlisted.jpg"];
    const images = Object.values(jpeg);
    const { jobId, result } = await upload(
      [zipOf(names.map((name, i) => ({ name, data: images[i % images.length]!, method: 0 as const })))],
      manifest,
    );
    expect(result.refused).toBe(false);
    const items = await t.db.bulkItem.findMany({ where: { jobId }, orderBy: { seq: "asc" } });
    const byFile = (f: string) => items.filter((i) => i.file === f);
    expect(byFile("a.jpg")[0]).toMatchObject({
      status: "refused",
      reason: expect.stringMatching(/line 2: acquired_at "2024-02-30": This date does not exist/),
    });
    expect(byFile("b.jpg")[0]!.reason).toMatch(/cannot be in the future/);
    expect(byFile("c.jpg")[0]!.reason).toMatch(/MRN "bad mrn!": The MRN may hold letters, digits/);
    expect(byFile("d.jpg")[0]!.reason).toMatch(/view "sideways": use one of PA, AP/);
    expect(byFile("missing.jpg")[0]).toMatchObject({
      status: "refused",
      reason: expect.stringMatching(/line 6: no uploaded file has this name/),
    });
    expect(
      byFile("e.jpg")
        .map((i) => i.status)
        .sort(),
    ).toEqual(["ready", "refused"]);
    expect(byFile("e.jpg").find((i) => i.status === "refused")!.reason).toMatch(
      /line 8 lists this file again \(first on line 7\)/,
    );
    expect(byFile("f.jpg")[0]).toMatchObject({
      status: "needs_patient",
      mrn: "NEW-7",
      reason: "MRN NEW-7 is not registered.",
    });
    expect(byFile("g.jpg")[0]!.reason).toMatch(/gives no MRN/);
    expect(byFile("unlisted.jpg")[0]!.reason).toBe("The file is not listed in the manifest.");

    // A manifest without the columns it needs refuses the whole upload.
    const bad = await upload([zipOf([{ name: "a.jpg", data: jpeg.coh00001 }])], "patient,when\nX,2024-01-01\n");
    expect(bad.result.refused).toBe(true);
    expect(problemsOf(bad.result)).toMatch(/The manifest has no "file" column/);
    await cancelJob(t.db, jobId, admin, { dataDir });
    expect(await t.db.scan.count()).toBe(0);
  });

  let firstJobScans: string[] = [];
  const manifest = [
    "mrn,acquired_at,file,view",
    "BULK-A,2024-03-01,coh00001.jpg,PA",
    "BULK-A,2024-03-08,coh00002.jpg,AP",
    "BULK-A,2024-03-15,nih00001.jpg,",
    "BULK-B,2024-04-01,nih00002.jpg,PA",
    "BULK-B,2024-04-02,ped00001.jpg,PA",
    "BULK-B,2024-04-03,mhh00001.jpg,PA",
  ].join("\r\n");
  const corpusZip = () => zipOf(CORPUS.map((id) => ({ name: `images/${id}.jpg`, data: jpeg[id]! })));

  async function waitFor(jobId: string, statuses: string[], ms = 90_000) {
    const until = Date.now() + ms;
    for (;;) {
      const p = await jobProgress(t.db, jobId);
      if (statuses.includes(p.status)) return p;
      if (Date.now() > until) throw new Error(`job ${jobId} still ${p.status} (${p.processed}/${p.total})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it("runs a job of corpus X-rays through the queue: the right scans, patients created on confirmation, audit, report", async () => {
    await t.db.patient.create({ data: { mrn: "BULK-A", name: "Bulk A", sex: "male" } });
    await startBulkWorker({ db: t.db, dataDir, sliceMs: 2_000, sweepMs: 1_000, batchSize: 4 });
    const { jobId, result } = await upload([corpusZip()], manifest);
    expect(result).toMatchObject({ refused: false, counts: { ready: 3, needs_patient: 3 } });
    const submitted = await submitJob(t.db, { jobId, createPatients: true }, admin);
    expect(submitted).toMatchObject({ files: 6, patientsCreated: 1 });
    const done = await waitFor(jobId, ["succeeded", "failed"]);
    expect(done).toMatchObject({ status: "succeeded", total: 6, processed: 6, failed: 0, stored: 6, etaSeconds: null });

    const b = await t.db.patient.findUniqueOrThrow({ where: { mrn: "BULK-B" } });
    expect(b).toMatchObject({ name: "Unnamed (MRN BULK-B)", sex: "unknown" });
    const scans = await t.db.scan.findMany({ where: { origin: "bulk" }, orderBy: { acquiredAt: "asc" } });
    expect(scans).toHaveLength(6);
    expect(scans.map((s) => s.acquiredAt!.toISOString().slice(0, 10))).toEqual([
      "2024-03-01",
      "2024-03-08",
      "2024-03-15",
      "2024-04-01",
      "2024-04-02",
      "2024-04-03",
    ]);
    expect(scans.filter((s) => s.patientId === b.id)).toHaveLength(3);
    expect(scans[1]!.view).toBe("AP");
    expect(await t.db.embedding.count({ where: { scanId: { in: scans.map((s) => s.id) } } })).toBe(6);
    for (const s of scans) expect(existsSync(path.join(dataDir, "scans", s.storageKey, "thumb.jpg"))).toBe(true);

    const uploaded = await t.db.auditEvent.findMany({ where: { action: "scan.uploaded" } });
    expect(uploaded).toHaveLength(6);
    expect(uploaded.every((e) => e.actorId === admin.actor.id && (e.details as { job?: string }).job === jobId)).toBe(
      true,
    );
    expect(await t.db.auditEvent.count({ where: { action: "bulk.submitted", targetId: jobId } })).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: "patient.created", patientId: b.id } })).toBe(1);

    const report = (await reportCsv(t.db, jobId)).trim().split("\r\n");
    expect(report[0]).toBe("file,mrn,acquired_at,status,scan_id,reason");
    expect(report).toHaveLength(7);
    expect(report.filter((l) => l.includes(",stored,"))).toHaveLength(6);
    expect(report[1]).toMatch(new RegExp(`^images/coh00001\\.jpg,BULK-A,2024-03-01,stored,${scans[0]!.id},$`));
    // The job is marked finished before its staging folder goes (finishJob), so the folder may outlive the status
    // by a moment; it must still go.
    await expect.poll(() => existsSync(stagingDir(dataDir, jobId)), { timeout: 10_000 }).toBe(false);
    firstJobScans = scans.map((s) => s.id).sort();
  });

  it("adds nothing when the same zip is uploaded again", async () => {
    const { jobId, result } = await upload([corpusZip()], manifest);
    expect(result).toMatchObject({ refused: false, counts: { ready: 6, needs_patient: 0 } });
    await submitJob(t.db, { jobId, createPatients: false }, admin);
    const done = await waitFor(jobId, ["succeeded", "failed"]);
    expect(done).toMatchObject({ status: "succeeded", processed: 6, stored: 0, duplicate: 6, failed: 0 });
    expect((await t.db.scan.findMany({ select: { id: true } })).map((s) => s.id).sort()).toEqual(firstJobScans);
    const items = await t.db.bulkItem.findMany({ where: { jobId } });
    expect(items.every((i) => i.status === "duplicate" && firstJobScans.includes(i.scanId!))).toBe(true);
    expect(await reportCsv(t.db, jobId)).toContain(",already stored,");
  });

  it("resumes a job whose worker died mid-way, without doing anything twice", async () => {
    await stopBulkWorker();
    await t.db.patient.create({ data: { mrn: "BULK-C", name: "Bulk C", sex: "female" } });
    const crashManifest = ["mrn,acquired_at,file", ...CORPUS.map((id, i) => `BULK-C,2024-05-0${i + 1},${id}.jpg`)].join(
      "\n",
    );
    const { jobId } = await upload([corpusZip()], crashManifest);
    await submitJob(t.db, { jobId, createPatients: false }, admin);
    // A first worker does one batch, then "dies" holding the lease (a process on this host that no longer runs).
    await runSlice(jobId, { db: t.db, dataDir, batchSize: 2, sliceMs: 0 });
    expect(await t.db.bulkItem.count({ where: { jobId, status: "stored" } })).toBe(2);
    await t.db.job.update({
      where: { id: jobId },
      data: {
        status: "running",
        leaseOwner: `${os.hostname()}:2147483000:deadbeef`,
        leaseUntil: new Date(Date.now() + 60_000),
      },
    });
    // Another worker that starts sees the holder is gone, re-queues the job and finishes it.
    await startBulkWorker({ db: t.db, dataDir, sliceMs: 2_000, sweepMs: 1_000, batchSize: 4 });
    const done = await waitFor(jobId, ["succeeded", "failed"]);
    expect(done).toMatchObject({ status: "succeeded", processed: 6, stored: 6, failed: 0 });
    const patient = await t.db.patient.findUniqueOrThrow({ where: { mrn: "BULK-C" } });
    expect(await t.db.scan.count({ where: { patientId: patient.id } })).toBe(6);
    expect(await t.db.auditEvent.count({ where: { action: "scan.uploaded", patientId: patient.id } })).toBe(6);
  });

  it("shares a job between workers, and finishes the files a killed worker had claimed", async () => {
    await stopBulkWorker();
    await t.db.patient.create({ data: { mrn: "BULK-S", name: "Bulk S", sex: "male" } });
    const m = ["mrn,acquired_at,file", ...CORPUS.map((id, i) => `BULK-S,2024-07-0${i + 1},${id}.jpg`)].join("\n");
    const { jobId } = await upload([corpusZip()], m);
    await submitJob(t.db, { jobId, createPatients: false }, admin);
    // A worker on this host was killed while it held the first two files.
    const dead = `${os.hostname()}:2147483000:deadbeef:00000000`;
    const firstTwo = await t.db.bulkItem.findMany({
      where: { jobId, status: "ready" },
      orderBy: { seq: "asc" },
      take: 2,
    });
    await t.db.bulkItem.updateMany({
      where: { id: { in: firstTwo.map((i) => i.id) } },
      data: { claimedBy: dead, claimedUntil: new Date(Date.now() + 60_000) },
    });
    // Two workers at once, one file per batch: each claims files the other does not have.
    const work = [{}, {}] as Record<string, number>[];
    const results = await Promise.all(
      work.map((timings) => runSlice(jobId, { db: t.db, dataDir, batchSize: 1, pipelineDepth: 1, timings })),
    );
    expect(results.filter((r) => r === "done")).toHaveLength(1);
    expect(results.every((r) => r === "done" || r === "busy")).toBe(true);
    for (const timings of work) expect(Object.keys(timings).length).toBeGreaterThan(0);
    const job = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "succeeded", processed: 6, failed: 0 });
    const patient = await t.db.patient.findUniqueOrThrow({ where: { mrn: "BULK-S" } });
    expect(await t.db.scan.count({ where: { patientId: patient.id } })).toBe(6);
    expect(await t.db.bulkItem.count({ where: { jobId, status: "stored" } })).toBe(6);
  });

  it("takes loose DICOM files without a manifest: PatientID is the MRN, the header gives date and name", async () => {
    const fixtures = await FixtureDir.create();
    try {
      const jpegPath = path.join(corpusDir(), "nih00003.jpg");
      await fixtures.img2dcm(jpegPath, "a.dcm", {
        PatientID: "DCM-77",
        PatientName: "Doe^Jane",
        StudyDate: "20240611",
        ViewPosition: "PA",
      });
      await fixtures.img2dcm(jpegPath, "nodate.dcm", { PatientID: "DCM-77" });
      const { jobId, result } = await upload([
        { name: "a.dcm", data: await fixtures.read("a.dcm") },
        { name: "nodate.dcm", data: await fixtures.read("nodate.dcm") },
        { name: "photo.jpg", data: jpeg.coh00001! },
      ]);
      expect(result.refused).toBe(false);
      const items = await t.db.bulkItem.findMany({ where: { jobId }, orderBy: { seq: "asc" } });
      expect(items.map((i) => [i.file, i.format, i.status])).toEqual([
        ["a.dcm", "dicom", "needs_patient"],
        ["nodate.dcm", "dicom", "refused"],
        ["photo.jpg", "jpeg", "refused"],
      ]);
      expect(items[0]).toMatchObject({ mrn: "DCM-77", view: "PA", patientName: "Jane Doe" });
      expect(items[0]!.acquiredAt!.toISOString().slice(0, 10)).toBe("2024-06-11");
      expect(items[1]!.reason).toMatch(/no acquisition, content or study date/);
      expect(items[2]!.reason).toMatch(/Without a manifest only DICOM files say whose they are/);
      await submitJob(t.db, { jobId, createPatients: true }, admin);
      expect(await t.db.patient.findUniqueOrThrow({ where: { mrn: "DCM-77" } })).toMatchObject({ name: "Jane Doe" });
      // The proposed name does not stay in the job's rows.
      expect(await t.db.bulkItem.count({ where: { jobId, patientName: { not: null } } })).toBe(0);
      await cancelJob(t.db, jobId, admin, { dataDir });
    } finally {
      await fixtures.remove();
    }
  });

  it("ingestScans: each input succeeds or fails on its own, in one batch", async () => {
    const p = await t.db.patient.create({ data: { mrn: "BATCH-1", name: "Batch", sex: "male" } });
    const store = ScanStore.forDataDir(dataDir);
    const before = await t.db.scan.count();
    const input = (bytes: Buffer, patientId = p.id) => ({ patientId, bytes, origin: "bulk" as const });
    const outcomes = await ingestScans(
      t.db,
      [
        input(jpeg.ped00001!),
        input(Buffer.from("not an image at all")),
        input(jpeg.ped00001!), // the same image again in the same batch
        input(jpeg.mhh00001!, "00000000-0000-4000-8000-000000000000"),
        input(jpeg.coh00002!),
      ],
      admin,
      { store },
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, false, false, true]);
    const first = outcomes[0] as { ok: true; scanId: string };
    const dup = outcomes[2] as { ok: false; error: Error };
    expect(dup.error).toBeInstanceOf(DuplicateScanError);
    expect((dup.error as DuplicateScanError).existingScanId).toBe(first.scanId);
    expect((outcomes[1] as { ok: false; error: Error }).error.message).toMatch(/not a JPEG, PNG or DICOM|text/i);
    expect((outcomes[3] as { ok: false; error: Error }).error.message).toBe("This patient does not exist.");
    expect(await t.db.scan.count()).toBe(before + 2);
    expect(await t.db.auditEvent.count({ where: { action: "scan.uploaded", patientId: p.id } })).toBe(2);
    // Again: both are now duplicates of the stored ones; nothing is added.
    const again = await ingestScans(t.db, [input(jpeg.ped00001!), input(jpeg.coh00002!)], admin, { store });
    expect(again.every((o) => !o.ok && o.error instanceof DuplicateScanError)).toBe(true);
    expect(await t.db.scan.count()).toBe(before + 2);
    // Should the batch's transaction fail, each scan is recorded on its own and the rest still go in.
    let batchTries = 0;
    const fallback = await ingestScans(t.db, [input(jpeg.nih00001!), input(jpeg.nih00002!)], admin, {
      store,
      onRecorded: async (_tx, recorded) => {
        if (recorded.length > 1) {
          batchTries++;
          throw new Error("simulated conflict");
        }
      },
    });
    expect(batchTries).toBe(1);
    expect(fallback.map((o) => o.ok)).toEqual([true, true]);
    expect(await t.db.scan.count()).toBe(before + 4);
  });

  it("ingestScans: a gate refuses a film after embedding, before anything of it is stored", async () => {
    const p = await t.db.patient.create({ data: { mrn: "GATE-1", name: "Gate", sex: "female" } });
    // A store of its own: other tests' files must not answer for this one's.
    const storeDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-gate-"));
    const store = ScanStore.forDataDir(storeDir);
    const before = await t.db.scan.count();
    const input = (bytes: Buffer) => ({ patientId: p.id, bytes, origin: "bulk" as const });
    const seen: number[] = [];
    const outcomes = await ingestScans(t.db, [input(jpeg.coh00001!), input(jpeg.coh00002!)], admin, {
      store,
      gate: async (films) => {
        // The gate sees decoded pixels and the vector of every film that got this far.
        for (const f of films)
          seen.push(f.vector.length, f.image.width * f.image.height === f.image.pixels.length ? 1 : 0);
        return films.map((f) => (f.meta.index === 1 ? new UserFacingError("Not a frontal chest film.") : null));
      },
    });
    expect(seen.filter((_, i) => i % 2 === 1)).toEqual([1, 1]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
    expect((outcomes[1] as { ok: false; error: Error }).error.message).toBe("Not a frontal chest film.");
    expect(await t.db.scan.count()).toBe(before + 1);
    expect(await store.exists(store.keyFor(sha256Of(jpeg.coh00001!)))).toBe(true);
    expect(await store.exists(store.keyFor(sha256Of(jpeg.coh00002!)))).toBe(false);
    await rm(storeDir, { recursive: true, force: true });
  });

  it("gives each holder in one process a lease of its own (a slice and a cancel never share one)", async () => {
    const job = await t.db.job.create({ data: { type: "bulk-upload", status: "running" } });
    const first = await acquireLease(t.db, job.id, ["running"]);
    expect(first?.state).toBe("running");
    // Same process, second holder (the sweeper, an administrator's cancel): refused while the first holds it.
    expect(await acquireLease(t.db, job.id, ["running", "cancelled"])).toBeNull();
    const stranger = first!.token.replace(/[^:]+$/, "00000000") as LeaseToken;
    expect(await renewLease(t.db, job.id, stranger)).toBeNull();
    await releaseLease(t.db, job.id, stranger);
    expect((await t.db.job.findUniqueOrThrow({ where: { id: job.id } })).leaseOwner).toBe(first!.token);
    expect(await renewLease(t.db, job.id, first!.token)).toBe("running");
    await releaseLease(t.db, job.id, first!.token);
    const second = await acquireLease(t.db, job.id, ["running"]);
    expect(second?.token).not.toBe(first!.token);
    await t.db.job.delete({ where: { id: job.id } });
  });

  it("cancels a queued job: nothing more is processed, the rest is reported as cancelled", async () => {
    await stopBulkWorker();
    await t.db.patient.create({ data: { mrn: "BULK-D", name: "Bulk D", sex: "female" } });
    const m = ["mrn,acquired_at,file", ...CORPUS.map((id) => `BULK-D,2024-06-01,${id}.jpg`)].join("\n");
    const { jobId } = await upload([corpusZip()], m);
    await submitJob(t.db, { jobId, createPatients: false }, admin);
    await cancelJob(t.db, jobId, admin, { dataDir });
    const job = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
    expect(job).toMatchObject({ status: "cancelled", error: "Cancelled by an administrator." });
    expect(await t.db.bulkItem.count({ where: { jobId, status: "cancelled" } })).toBe(6);
    expect(existsSync(stagingDir(dataDir, jobId))).toBe(false);
    expect(await t.db.auditEvent.count({ where: { action: "bulk.cancelled", targetId: jobId } })).toBe(1);
    // A worker that gets the message later leaves it alone.
    expect(await runSlice(jobId, { db: t.db, dataDir })).toBe("busy");
    await sweep({ db: t.db, dataDir });
    const patient = await t.db.patient.findUniqueOrThrow({ where: { mrn: "BULK-D" } });
    expect(await t.db.scan.count({ where: { patientId: patient.id } })).toBe(0);
    await expect(cancelJob(t.db, jobId, admin, { dataDir })).rejects.toThrow(/already ended/);
  });
});
