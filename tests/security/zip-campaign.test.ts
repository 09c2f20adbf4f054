// The hostile bulk-upload campaign (issue 11): every case of tests/security/zip-corpus.ts is declared, sent in chunks
// through PUT /api/bulk/{jobId}/upload with an admin's token (the real route), checked, and, when something is
// ready, run by the real worker. A refused upload leaves no scan, no patient, no staged file and no stored file; an
// accepted one stores exactly the expected scans, each with its three files and its scan.uploaded event. No request
// may answer 5xx.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ActionContext } from "@/lib/actions/define-action";
import { hashPassword } from "@/lib/auth/password";
import { checkDraft, createDraft, reportCsv, submitJob } from "@/lib/bulk/service";
import { stagingDir } from "@/lib/bulk/staging";
import { runSlice } from "@/lib/bulk/worker";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { stopJobQueue } from "@/lib/jobs/boss";
import { activeModel } from "@/lib/scans/active-model";
import { createToken } from "@/lib/tokens/service";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as uploadRoute from "@/app/api/bulk/[jobId]/upload/route";
import { buildZipCorpus, type ZipCase } from "./zip-corpus";

const CHUNK = 4 * 1024 * 1024;

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch {
    return [];
  }
}

describe("security campaign: hostile zips through bulk upload", () => {
  let t: TestDatabase;
  let dataDir: string;
  let fx: FixtureDir;
  let admin: ActionContext;
  let token: string;
  let cases: ZipCase[];
  const tally = { tried: 0, refused: 0, stored: 0, serverErrors: 0 };

  beforeAll(async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-zip-campaign-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    fx = await FixtureDir.create();
    const u = await t.db.user.create({
      data: {
        email: "zips@security.test",
        name: "Zips",
        role: "admin",
        passwordHash: await hashPassword("zips-pw-12345"),
      },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "198.51.100.67" };
    token = (await createToken(t.db, { userId: u.id, name: "zips" }, { actor: null, ip: null })).token;
    await activeModel(t.db);
    cases = await buildZipCorpus(fx);
  }, 300_000);

  afterAll(async () => {
    console.log(
      `security campaign, zips: ${tally.tried} tried, ${tally.refused} refused, ${tally.stored} stored, ` +
        `${tally.serverErrors} 5xx`,
    );
    await stopJobQueue();
    await fx?.remove();
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function put(jobId: string, index: number, offset: number, data: Buffer): Promise<number> {
    const request = new Request(`http://radtrack.test/api/bulk/${jobId}/upload?index=${index}&offset=${offset}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "198.51.100.67" },
      body: new Uint8Array(data),
    });
    const response = await uploadRoute.PUT(request, { params: Promise.resolve({ jobId }) });
    if (response.status >= 500) tally.serverErrors++;
    return response.status;
  }

  async function counts() {
    return {
      scans: await t.db.scan.count(),
      patients: await t.db.patient.count(),
      uploadedEvents: await t.db.auditEvent.count({ where: { action: "scan.uploaded" } }),
      files: (await filesUnder(path.join(dataDir, "scans"))).filter((f) =>
        /(original|preview\.jpg|thumb\.jpg)$/.test(f),
      ),
    };
  }

  it("has the cases the issue names, and at least 15 of them", () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
    const names = cases.map((c) => c.name).join("\n");
    for (const named of [
      /path traversal/,
      /absolute path/,
      /symbolic link/,
      /nested zip/,
      /1 GB zip bomb/,
      /10,000 entries/,
      /size-lying entry/,
      /truncated zip/,
      /formula-injection manifest/,
      /bad dates/,
    ]) {
      expect(names).toMatch(named);
    }
  });

  it("answers every zip as its case says, and stores exactly what it accepts", async () => {
    const failures: string[] = [];
    for (const c of cases) {
      tally.tried++;
      const before = await counts();
      const manifest = c.manifest === undefined ? undefined : Buffer.from(c.manifest);
      const { jobId } = await createDraft(
        t.db,
        {
          files: [{ name: c.zipName ?? "scans.zip", size: c.zip.length }],
          manifest: manifest ? { name: "manifest.csv", size: manifest.length } : undefined,
        },
        admin,
      );
      for (const [index, data] of [c.zip, ...(manifest ? [manifest] : [])].entries()) {
        for (let offset = 0; offset < data.length; offset += CHUNK) {
          const status = await put(jobId, index, offset, data.subarray(offset, offset + CHUNK));
          if (status !== 200) failures.push(`${c.name}: chunk upload answered ${status}`);
        }
      }
      const result = await checkDraft(t.db, jobId, admin, { dataDir });
      if (c.expect.refused) {
        tally.refused++;
        const text = result.refused ? result.problems.join("\n") : "(accepted)";
        if (!result.refused || !c.expect.problem.test(text))
          failures.push(`${c.name}: ${text} (expected ${c.expect.problem})`);
        const job = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
        if (job.status !== "failed") failures.push(`${c.name}: job ${job.status}`);
        if (existsSync(stagingDir(dataDir, jobId))) failures.push(`${c.name}: staged files left behind`);
        if (JSON.stringify(await counts()) !== JSON.stringify(before))
          failures.push(`${c.name}: a refused zip changed state`);
        continue;
      }
      if (result.refused) {
        failures.push(`${c.name}: refused: ${result.problems.join(" | ")}`);
        continue;
      }
      const items = await t.db.bulkItem.findMany({ where: { jobId }, orderBy: { seq: "asc" } });
      const seen = Object.fromEntries(items.map((i) => [i.file, `${i.status} ${i.reason ?? ""}`.trim()]));
      for (const [file, want] of Object.entries(c.expect.items)) {
        const item = items.find((i) => i.file === file);
        if (!item || item.status !== want.status || (want.reason && !want.reason.test(item.reason ?? ""))) {
          failures.push(
            `${c.name}: ${file}: ${seen[file] ?? "(no item)"} (expected ${want.status} ${want.reason ?? ""})`,
          );
        }
      }
      if (items.length !== Object.keys(c.expect.items).length)
        failures.push(`${c.name}: items ${JSON.stringify(seen)}`);
      // Report cells never start a formula, whatever the manifest held.
      for (const cell of (await reportCsv(t.db, jobId)).split(/[\r\n,]+/)) {
        if (/^"?[=+\-@\t\r]/.test(cell)) failures.push(`${c.name}: report cell ${cell} would run as a formula`);
      }
      if (c.expect.stored === 0) {
        await expect(submitJob(t.db, { jobId, createPatients: true }, admin)).rejects.toThrow(/Nothing to process/);
        if (JSON.stringify(await counts()) !== JSON.stringify(before)) failures.push(`${c.name}: changed state`);
        continue;
      }
      await submitJob(t.db, { jobId, createPatients: true }, admin);
      for (let slices = 0; (await runSlice(jobId, { db: t.db, dataDir, sliceMs: 60_000 })) === "more"; slices++) {
        if (slices > 20) throw new Error(`${c.name}: the job does not finish`);
      }
      const job = await t.db.job.findUniqueOrThrow({ where: { id: jobId } });
      const after = await counts();
      const stored = after.scans - before.scans;
      tally.stored += stored;
      if (job.status !== "succeeded") failures.push(`${c.name}: job ${job.status} ${job.error ?? ""}`);
      if (stored !== c.expect.stored) failures.push(`${c.name}: stored ${stored}, expected ${c.expect.stored}`);
      if (after.uploadedEvents - before.uploadedEvents !== stored) failures.push(`${c.name}: audit events`);
      if (after.files.length - before.files.length !== 3 * stored) failures.push(`${c.name}: stored files`);
      if (existsSync(stagingDir(dataDir, jobId))) failures.push(`${c.name}: staged files left behind`);
    }
    expect(failures).toEqual([]);
    expect(tally.serverErrors).toBe(0);
    expect(existsSync("/tmp/radtrack-abs.jpg")).toBe(false);
  }, 600_000);
});
