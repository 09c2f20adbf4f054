// The DICOM C-STORE receiver against DCMTK's own network tools: echoscu verifies the association, storescu sends
// DCMTK-made films as a modality would. A frontal chest film is stored through the same receive path as a polled or
// pushed one (origin "dimse", the sender's AE title and address as the remote system), a lateral is refused with the
// "cannot understand" status and its reason, the same film twice is stored once, and a sender calling another AE
// title is turned away before anything is sent.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dimseFromEnv, loadConfig } from "@/lib/config";
import { startDimseReceiver } from "@/lib/dimse/receiver";
import { startConfiguredDimseReceiver, stopDimseReceiver } from "@/lib/dimse/service";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { stopJobQueue } from "@/lib/jobs/boss";
import { freePort } from "@/tests/support/orthanc";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

const run = promisify(execFile);

/** Runs a DCMTK tool; resolves with its exit code and output (never throws for a non-zero exit). */
async function dcmtk(tool: "storescu" | "echoscu", args: string[]) {
  try {
    const { stdout, stderr } = await run(tool, args, { timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error(`DCMTK's ${tool} was not found (apt-get install dcmtk)`);
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("DICOM C-STORE receiver (DCMTK storescu)", () => {
  let t: TestDatabase;
  let fx: FixtureDir;
  let dataDir: string;
  let port: number;
  let patientId: string;
  const AE = "RADTRACK_T";

  async function film(name: string, corpus: string, keys: Record<string, string> = {}) {
    await fx.img2dcm(corpusPath(corpus), name, {
      PatientID: "D-1",
      PatientName: "Dimse^Dora",
      Modality: "CR",
      BodyPartExamined: "CHEST",
      ViewPosition: "PA",
      StudyDate: "20261205",
      ...keys,
    });
    return fx.file(name);
  }

  const storescu = (files: string[], calledAe = AE) =>
    dcmtk("storescu", ["-v", "-xy", "-aet", "MODALITY7", "-aec", calledAe, "127.0.0.1", String(port), ...files]);

  beforeAll(async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-dimse-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    fx = await FixtureDir.create();
    patientId = (await t.db.patient.create({ data: { mrn: "D-1", name: "Dora Dimse", sex: "female" } })).id;
    port = await freePort();
    const cfg = loadConfig({
      NODE_ENV: "test",
      RADTRACK_DATA_DIR: dataDir,
      RADTRACK_DIMSE_PORT: String(port),
      RADTRACK_DIMSE_AE_TITLE: AE,
    });
    expect(await startConfiguredDimseReceiver({ db: t.db, cfg })).not.toBeNull();
  });

  afterAll(async () => {
    await stopDimseReceiver();
    await stopJobQueue();
    await t?.close();
    await fx?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("is off without RADTRACK_DIMSE_PORT and checks its settings", () => {
    expect(dimseFromEnv({})).toBeUndefined();
    expect(dimseFromEnv({ RADTRACK_DIMSE_PORT: "11112" })).toEqual({ port: 11112, aeTitle: "RADTRACK" });
    expect(() => dimseFromEnv({ RADTRACK_DIMSE_PORT: "70000" })).toThrow(/RADTRACK_DIMSE_PORT/);
    expect(() => dimseFromEnv({ RADTRACK_DIMSE_PORT: "x" })).toThrow(/RADTRACK_DIMSE_PORT/);
    expect(() => dimseFromEnv({ RADTRACK_DIMSE_PORT: "104", RADTRACK_DIMSE_AE_TITLE: "A\\B" })).toThrow(
      /RADTRACK_DIMSE_AE_TITLE/,
    );
  });

  it("answers C-ECHO, stores a frontal film with origin dimse, refuses a lateral with its reason", async () => {
    expect((await dcmtk("echoscu", ["-aet", "MODALITY7", "-aec", AE, "127.0.0.1", String(port)])).code).toBe(0);
    const sent = await storescu([
      await film("frontal.dcm", "nih00031"),
      await film("lateral.dcm", "nih00032", { ViewPosition: "LL" }),
    ]);
    // The lateral's failure status reaches the sender.
    expect(sent.output).toMatch(
      /Received Store Response \(Success\)[\s\S]*Received Store Response \(Error: CannotUnderstand\)/,
    );

    const scans = await t.db.scan.findMany({ where: { patientId } });
    expect(scans).toHaveLength(1);
    expect(scans[0]!.origin).toBe("dimse");
    const stored = await t.db.dicomwebInstance.findFirstOrThrow({ where: { scanId: scans[0]!.id } });
    expect(stored).toMatchObject({ via: "dimse", outcome: "ingested" });
    expect(stored.remote).toMatch(/^dimse:MODALITY7@(::ffff:)?127\.0\.0\.1$/);
    const refused = await t.db.dicomwebInstance.findFirstOrThrow({ where: { outcome: "refused" } });
    expect(refused.via).toBe("dimse");
    expect(refused.reason).toMatch(/^lateral view \(LL\)/);
    const uploaded = await t.db.auditEvent.findFirstOrThrow({
      where: { action: "scan.uploaded", targetId: scans[0]!.id },
    });
    expect(uploaded.details).toMatchObject({ origin: "dimse", via: "dimse" });
  });

  it("stores the same film once, and turns away a sender calling another AE title", async () => {
    const again = await storescu([fx.file("frontal.dcm")]);
    expect(again.code).toBe(0);
    expect(again.output).toMatch(/Received Store Response \(Success\)/);
    expect(await t.db.scan.count({ where: { patientId } })).toBe(1);

    const wrong = await storescu([await film("other.dcm", "nih00033")], "SOMEONE_ELSE");
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/reject/i);
    expect(await t.db.scan.count({ where: { patientId } })).toBe(1);
  });

  it("refuses an instance larger than the upload limit without keeping it or receiving it", async () => {
    const small = await freePort();
    const handled: string[] = [];
    const receiver = await startDimseReceiver({
      port: small,
      aeTitle: AE,
      maxBytes: 1000,
      handle: async (_bytes, peer) => {
        handled.push(peer.callingAeTitle);
        return "stored";
      },
    });
    try {
      const sent = await dcmtk("storescu", [
        "-v",
        "-xy",
        "-aec",
        AE,
        "127.0.0.1",
        String(small),
        fx.file("frontal.dcm"),
      ]);
      expect(sent.output).toMatch(/Received Store Response \(Refused: OutOfResources\)/);
      expect(handled).toEqual([]);
    } finally {
      receiver.close();
    }
  });
});
