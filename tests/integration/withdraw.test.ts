// Issue 11 item 3: a wrong scan is withdrawn (reason required, audited), leaves the timeline, the drift summary, the
// lists, exports and neighbour searches at once, comes back when an admin restores it, and is deleted for good (rows,
// then files, in the data directory and in a bucket) only by an admin's purge of a withdrawn scan. Real X-rays, the
// real model, the real database, the API's own route handlers.
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as timelineCsvRoute from "@/app/api/patients/[id]/timeline.csv/route";
import * as fhirEverythingRoute from "@/app/api/v1/fhir/Patient/[id]/$everything/route";
import * as patientScansRoute from "@/app/api/v1/patients/[id]/scans/route";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as purgeRoute from "@/app/api/v1/scans/[id]/route";
import * as neighborsRoute from "@/app/api/v1/scans/[id]/neighbors/route";
import * as previewRoute from "@/app/api/v1/scans/[id]/preview/route";
import * as restoreRoute from "@/app/api/v1/scans/[id]/restore/route";
import * as withdrawRoute from "@/app/api/v1/scans/[id]/withdraw/route";
import { NOT_ALLOWED } from "@/lib/actions/define-action";
import { ACTION_DEFINITION } from "@/lib/actions/server-action";
import type { Actor } from "@/lib/auth/actor";
import { hashPassword } from "@/lib/auth/password";
import { storageFromEnv } from "@/lib/config";
import { embeddingOf, nearestReferences } from "@/lib/db/vector-sql";
import { findNeighbours } from "@/lib/neighbours/find";
import { importReferenceLibrary } from "@/lib/reference";
import {
  makeCorpusSubset,
  readCorpusTable,
  realCorpusDir,
  type CorpusSubset,
} from "@/tests/support/reference/corpus-subset";
import { registerModel } from "@/tests/support/reference/model";
import type { ActiveModel } from "@/lib/scans/active-model";
import { purgeScanAction, restoreScanAction } from "@/lib/scans/actions";
import { ingestScan } from "@/lib/scans/ingest";
import { purgeScan, withdrawScan } from "@/lib/scans/withdraw";
import { scanStore } from "@/lib/storage";
import { S3BlobStore } from "@/lib/storage/s3-blob-store";
import { lockContent } from "@/lib/storage/content-lock";
import { ScanStore } from "@/lib/storage/scan-store";
import { refreshPatientDrift } from "@/lib/timeline/refresh";
import { patientTimeline } from "@/lib/timeline/timeline";
import { createToken } from "@/lib/tokens/service";
import { callRoute, type RouteHandler } from "@/tests/support/api-call";
import { startS3Server } from "@/tests/support/s3-server";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

type Who = "admin" | "clinician";

describe("withdraw, restore and purge a scan", () => {
  let t: TestDatabase;
  let model: ActiveModel;
  let dataDir: string;
  let library: CorpusSubset;
  const actors = {} as Record<Who, Actor>;
  const tokens = {} as Record<Who, string>;
  let wrongId: string;
  let rightId: string;
  /** Patient films of `wrongId`, oldest first; `copyOfRef` is a reference film's bytes uploaded to the patient. */
  const films = {} as Record<"first" | "second" | "copyOfRef" | "latest", { id: string; bytes: Buffer }>;
  let refOfCopy: string;
  /** A film stored nowhere else (the bucket test). */
  let spare: Buffer;
  /** Two more films stored nowhere else (the race checks). */
  let raceFilms: Buffer[];

  const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  const as = (who: Who) => ({ token: tokens[who] });
  function call<P>(handler: RouteHandler<P>, url: string, options: Parameters<typeof callRoute<P>>[2] = {}) {
    return callRoute(handler, url, options);
  }
  const withdraw = (scanId: string, reason: unknown, who: Who = "clinician") =>
    call(withdrawRoute.POST, `/api/v1/scans/${scanId}/withdraw`, {
      ...as(who),
      ...json({ reason }),
      params: { id: scanId },
    });
  const restore = (scanId: string, who: Who = "admin") =>
    call(restoreRoute.POST, `/api/v1/scans/${scanId}/restore`, { ...as(who), method: "POST", params: { id: scanId } });
  const purge = (scanId: string, who: Who = "admin") =>
    call(purgeRoute.DELETE, `/api/v1/scans/${scanId}`, { ...as(who), method: "DELETE", params: { id: scanId } });
  const summary = () => t.db.patientSummary.findUnique({ where: { patientId: wrongId } });
  /** The scan's life in the audit log (views left out). */
  const auditOf = (scanId: string) =>
    t.db.auditEvent.findMany({
      where: { targetId: scanId, action: { not: "scan.viewed" } },
      orderBy: { id: "asc" },
      select: { action: true, details: true },
    });
  const folderOf = async (scanId: string) => {
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: scanId }, select: { storageKey: true } });
    return path.join(dataDir, "scans", scan.storageKey);
  };
  const exists = (p: string) =>
    access(p).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-withdraw-"));
    // The actions store through config().dataDir, read on first use.
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    model = await registerModel(t.db);
    const table = await readCorpusTable();
    const adult = [...table.rows.keys()].filter((id) => table.rows.get(id)![table.col("age_group")] === "adult").sort();
    // Fewer reference films than the 36 neighbours asked for: every search returns the whole library minus what it
    // must leave out, so what is left out is exactly visible.
    const libraryIds = adult.filter((_, i) => i % 40 === 0).slice(0, 24);
    const patientIds = adult.filter((_, i) => i % 40 === 20).slice(0, 6);
    library = await makeCorpusSubset(table, { ids: libraryIds });
    await importReferenceLibrary(t.db, library.dir, { model, store: scanStore(), includePediatric: false });

    const passwordHash = await hashPassword("fixture-password-1");
    for (const role of ["admin", "clinician"] as const) {
      const u = await t.db.user.create({
        data: { email: `${role}@withdraw.test`, name: `The ${role}`, role, passwordHash },
      });
      actors[role] = { id: u.id, email: u.email, name: u.name, role };
      tokens[role] = (await createToken(t.db, { userId: u.id, name: role }, { actor: null, ip: null })).token;
    }
    wrongId = (await t.db.patient.create({ data: { mrn: "WD-WRONG", name: "Wrong Patient", sex: "female" } })).id;
    rightId = (await t.db.patient.create({ data: { mrn: "WD-RIGHT", name: "Right Patient", sex: "male" } })).id;

    const bytesOf = (id: string) => readFile(path.join(realCorpusDir(), `${id}.jpg`));
    const ref = await t.db.referenceLabel.findFirstOrThrow({ where: { sourceId: libraryIds[5]! } });
    refOfCopy = ref.scanId;
    const plan = [
      ["first", patientIds[0]!, "2026-10-01"],
      ["second", patientIds[1]!, "2026-10-15"],
      ["copyOfRef", libraryIds[5]!, "2026-10-22"],
      ["latest", patientIds[2]!, "2026-11-01"],
    ] as const;
    for (const [key, corpusId, day] of plan) {
      const bytes = await bytesOf(corpusId);
      const stored = await ingestScan(
        t.db,
        { patientId: wrongId, bytes, origin: "upload", acquiredAt: new Date(`${day}T00:00:00Z`) },
        { actor: actors.clinician, ip: null },
      );
      films[key] = { id: stored.scanId, bytes };
    }
    spare = await bytesOf(patientIds[3]!);
    raceFilms = [await bytesOf(patientIds[4]!), await bytesOf(patientIds[5]!)];
    await refreshPatientDrift(t.db, wrongId);
  }, 600_000);

  afterAll(async () => {
    await library?.remove();
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a withdrawal without a proper reason and changes nothing", async () => {
    for (const reason of [undefined, "", "  ", "ab", "x".repeat(501)]) {
      const response = await withdraw(films.latest.id, reason);
      expect(response.status, String(reason)).toBe(400);
      const body = (await response.json()) as { fieldErrors?: Record<string, string[]> };
      expect(body.fieldErrors?.reason?.[0]).toMatch(/reason/i);
    }
    expect(await t.db.scan.count({ where: { withdrawnAt: { not: null } } })).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: "scan.withdrawn" } })).toBe(0);
    expect((await summary())?.scanCount).toBe(4);
  });

  it("takes the scan off the timeline, the summary, the lists and the exports at once", async () => {
    const before = (await summary())!;
    expect(before.lastScanAt?.toISOString().slice(0, 10)).toBe("2026-11-01");

    const response = await withdraw(films.latest.id, "Uploaded to the wrong patient (belongs to WD-RIGHT)");
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: films.latest.id, patientId: wrongId, changed: true });

    // The summary, as the patient list reads it, without anyone opening the timeline.
    const after = (await summary())!;
    expect(after.scanCount).toBe(3);
    expect(after.lastScanAt?.toISOString().slice(0, 10)).toBe("2026-10-22");
    expect(after.latestIndex).not.toBe(before.latestIndex);

    const timeline = await patientTimeline(t.db, wrongId);
    expect(timeline.scans.map((s) => s.scanId)).toEqual([films.first.id, films.second.id, films.copyOfRef.id]);

    const scans = await call(patientScansRoute.GET, `/api/v1/patients/${wrongId}/scans`, {
      ...as("clinician"),
      params: { id: wrongId },
    });
    const listed = ((await scans.json()) as { scans: { id: string }[] }).scans.map((s) => s.id);
    expect(listed).toHaveLength(3);
    expect(listed).not.toContain(films.latest.id);
    // Asked for, withdrawn scans come with who, when and why; a bad value is refused.
    const only = await call(patientScansRoute.GET, `/api/v1/patients/${wrongId}/scans?withdrawn=only`, {
      ...as("clinician"),
      params: { id: wrongId },
    });
    const withdrawnList = ((await only.json()) as { scans: { id: string; withdrawn: unknown }[] }).scans;
    expect(withdrawnList).toEqual([
      expect.objectContaining({
        id: films.latest.id,
        withdrawn: expect.objectContaining({
          by: actors.clinician.id,
          reason: "Uploaded to the wrong patient (belongs to WD-RIGHT)",
        }),
      }),
    ]);
    const all = await call(patientScansRoute.GET, `/api/v1/patients/${wrongId}/scans?withdrawn=include`, {
      ...as("clinician"),
      params: { id: wrongId },
    });
    expect(((await all.json()) as { scans: unknown[] }).scans).toHaveLength(4);
    const bad = await call(patientScansRoute.GET, `/api/v1/patients/${wrongId}/scans?withdrawn=yes`, {
      ...as("clinician"),
      params: { id: wrongId },
    });
    expect(bad.status).toBe(400);

    const patients = await call(patientsRoute.GET, "/api/v1/patients?mrn=WD-WRONG", as("clinician"));
    expect(((await patients.json()) as { patients: { scanCount: number }[] }).patients[0]!.scanCount).toBe(3);

    const csv = await (
      await call(timelineCsvRoute.GET, `/api/patients/${wrongId}/timeline.csv`, {
        ...as("clinician"),
        params: { id: wrongId },
      })
    ).text();
    expect(csv).toContain(films.first.id);
    expect(csv).not.toContain(films.latest.id);

    const fhir = await (
      await call(fhirEverythingRoute.GET, `/api/v1/fhir/Patient/${wrongId}/$everything`, {
        ...as("clinician"),
        params: { id: wrongId },
      })
    ).text();
    expect(fhir).toContain(films.first.id);
    expect(fhir).not.toContain(films.latest.id);

    // Its neighbours are not offered; its preview stays readable for the admin who decides on it.
    const neighbours = await call(neighborsRoute.GET, `/api/v1/scans/${films.latest.id}/neighbors`, {
      ...as("clinician"),
      params: { id: films.latest.id },
    });
    expect(neighbours.status).toBe(409);
    const preview = await call(previewRoute.GET, `/api/v1/scans/${films.latest.id}/preview`, {
      ...as("admin"),
      params: { id: films.latest.id },
    });
    expect(preview.status).toBe(200);

    const events = await auditOf(films.latest.id);
    expect(events.map((e) => e.action)).toEqual(["scan.uploaded", "scan.withdrawn"]);
    expect(events[1]!.details).toMatchObject({ reason: "Uploaded to the wrong patient (belongs to WD-RIGHT)" });
  });

  it("is idempotent: a second or concurrent withdrawal changes and audits nothing more", async () => {
    const again = await withdraw(films.latest.id, "Second click");
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ changed: false });
    const ctx = { actor: actors.clinician, ip: null };
    const both = await Promise.all([
      withdrawScan(t.db, { scanId: films.second.id, reason: "Not a radiograph (photo of a screen)" }, ctx),
      withdrawScan(t.db, { scanId: films.second.id, reason: "Not a radiograph (photo of a screen)" }, ctx),
    ]);
    expect(both.map((b) => b.changed).sort()).toEqual([false, true]);
    expect(await t.db.auditEvent.count({ where: { action: "scan.withdrawn", targetId: films.second.id } })).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: "scan.withdrawn", targetId: films.latest.id } })).toBe(1);
    expect((await summary())!.scanCount).toBe(2);
  });

  it("lets a withdrawn film's copy in the library back among the patient's neighbours, and never returns a withdrawn row", async () => {
    // The patient's own image is never their neighbour: while the copy is on the timeline, its reference twin is out.
    const scanRef = await t.db.scan.findUniqueOrThrow({ where: { id: films.first.id } });
    const ids = async () => (await findNeighbours(t.db, scanRef, model, { k: 36 }))!.map((n) => n.scanId);
    expect(await ids()).not.toContain(refOfCopy);
    await withdrawScan(
      t.db,
      { scanId: films.copyOfRef.id, reason: "Library film uploaded by mistake" },
      {
        actor: actors.clinician,
        ip: null,
      },
    );
    expect(await ids()).toContain(refOfCopy);

    // The neighbour query itself skips a withdrawn row (here forced onto a reference film, which the service refuses).
    const vector = (await embeddingOf(t.db, films.first.id, model.id))!;
    const query = { modelId: model.id, dims: model.dims, vector, k: 36 };
    expect((await nearestReferences(t.db, query)).map((r) => r.scanId)).toContain(refOfCopy);
    await t.db.scan.update({
      where: { id: refOfCopy },
      data: { withdrawnAt: new Date(), withdrawnBy: actors.admin.id, withdrawReason: "test" },
    });
    try {
      expect((await nearestReferences(t.db, query)).map((r) => r.scanId)).not.toContain(refOfCopy);
    } finally {
      await t.db.scan.update({
        where: { id: refOfCopy },
        data: { withdrawnAt: null, withdrawnBy: null, withdrawReason: null },
      });
    }
    const refused = await withdraw(refOfCopy, "A reference film");
    expect(refused.status).toBe(409);
    expect(await refused.text()).toMatch(/reference film/);
  });

  it("lets only admins restore and purge", async () => {
    expect((await restore(films.latest.id, "clinician")).status).toBe(403);
    expect((await purge(films.latest.id, "clinician")).status).toBe(403);
    const ctx = { actor: actors.clinician, ip: null };
    for (const action of [restoreScanAction, purgeScanAction]) {
      const { result } = await action[ACTION_DEFINITION].invoke({ scanId: films.latest.id }, ctx);
      expect(result).toEqual({ ok: false, error: NOT_ALLOWED });
    }
    await expect(purgeScan(t.db, { scanId: films.latest.id }, ctx)).rejects.toThrow(NOT_ALLOWED);
    expect(await t.db.scan.findUnique({ where: { id: films.latest.id } })).toMatchObject({
      withdrawnAt: expect.any(Date),
    });
    expect(await t.db.auditEvent.count({ where: { action: { in: ["scan.restored", "scan.purged"] } } })).toBe(0);
  });

  it("takes the same file at the right patient, and says how to proceed at the same one", async () => {
    const upload = (patientId: string) => {
      const form = new FormData();
      form.set("file", new File([new Uint8Array(films.latest.bytes)], "film.jpg", { type: "image/jpeg" }));
      form.set("acquiredAt", "2026-11-01");
      return call(patientScansRoute.POST, `/api/v1/patients/${patientId}/scans`, {
        ...as("clinician"),
        body: form,
        params: { id: patientId },
      });
    };
    const moved = await upload(rightId);
    expect(moved.status).toBe(201);
    const again = await upload(wrongId);
    expect(again.status).toBe(409);
    const body = (await again.json()) as { error: string; existingScanId: string; existingWithdrawn?: boolean };
    expect(body).toMatchObject({ existingScanId: films.latest.id, existingWithdrawn: true });
    expect(body.error).toMatch(/withdrawn.*restore/);
  });

  it("restores a withdrawn scan everywhere at once", async () => {
    const response = await restore(films.second.id);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ changed: true });
    expect((await summary())!.scanCount).toBe(2);
    const timeline = await patientTimeline(t.db, wrongId);
    expect(timeline.scans.map((s) => s.scanId)).toEqual([films.first.id, films.second.id]);
    const events = await auditOf(films.second.id);
    expect(events.map((e) => e.action)).toEqual(["scan.uploaded", "scan.withdrawn", "scan.restored"]);
    expect(events[2]!.details).toMatchObject({ reason: "Not a radiograph (photo of a screen)" });
    expect(await (await restore(films.second.id)).json()).toMatchObject({ changed: false });
  });

  it("purges only a withdrawn scan: rows first, then every file, and keeps the audit log", async () => {
    const notWithdrawn = await purge(films.first.id);
    expect(notWithdrawn.status).toBe(409);
    expect(await notWithdrawn.text()).toMatch(/Withdraw it first/);
    expect(await exists(await folderOf(films.first.id))).toBe(true);

    await withdrawScan(
      t.db,
      { scanId: films.first.id, reason: "Wrong patient" },
      { actor: actors.clinician, ip: null },
    );
    const folder = await folderOf(films.first.id);
    const key = (await t.db.scan.findUniqueOrThrow({ where: { id: films.first.id } })).storageKey;
    // A later rendition goes too.
    await scanStore().putLater(key, "heatmap.json", Buffer.from("{}"));
    const sha256 = (await t.db.scan.findUniqueOrThrow({ where: { id: films.first.id } })).sha256;

    const files = (await scanStore().renditionsOf(key)).length;
    expect(files).toBeGreaterThanOrEqual(4);

    const [a, b] = await Promise.all([purge(films.first.id), purge(films.first.id)]);
    const bodies = [
      (await a.json()) as { purged: boolean; filesRemoved: number },
      (await b.json()) as { purged: boolean },
    ];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(bodies.map((x) => x.purged).sort()).toEqual([false, true]);
    expect(bodies.find((x) => x.purged)).toMatchObject({ filesRemoved: files });
    expect(await exists(folder)).toBe(false);
    expect(await t.db.scan.findUnique({ where: { id: films.first.id } })).toBeNull();
    expect(await t.db.embedding.count({ where: { scanId: films.first.id } })).toBe(0);
    expect(await t.db.scanAssessment.count({ where: { scanId: films.first.id } })).toBe(0);
    const events = await auditOf(films.first.id);
    expect(events.map((e) => e.action)).toEqual(["scan.uploaded", "scan.withdrawn", "scan.purged"]);
    expect(events[2]!.details).toMatchObject({ sha256, files });
    expect((await purge(films.first.id)).status).toBe(200);
    expect((await purge("00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await summary())!.scanCount).toBe(1);
  });

  it("keeps the files another patient's copy uses", async () => {
    const folder = await folderOf(films.latest.id);
    const response = await purge(films.latest.id);
    expect(await response.json()).toMatchObject({ purged: true, filesRemoved: 0, sharedWith: 1 });
    expect(await exists(folder)).toBe(true);
    const copy = await t.db.scan.findFirstOrThrow({ where: { patientId: rightId } });
    const preview = await call(previewRoute.GET, `/api/v1/scans/${copy.id}/preview`, {
      ...as("clinician"),
      params: { id: copy.id },
    });
    expect(preview.status).toBe(200);
  });

  it("never removes files that an upload of the same image is recording", async () => {
    // A withdrawn scan whose content nobody else shares, and an upload of that same image to another patient that
    // is recording its row (it found the files in place) while the purge runs.
    const ctx = { actor: actors.admin, ip: null };
    const owner = await t.db.patient.create({ data: { mrn: "WD-RACE-1", name: "Race One", sex: "female" } });
    const other = await t.db.patient.create({ data: { mrn: "WD-RACE-2", name: "Race Two", sex: "male" } });
    const first = await ingestScan(t.db, { patientId: owner.id, bytes: raceFilms[0]!, origin: "upload" }, ctx);
    const scan = await t.db.scan.findUniqueOrThrow({ where: { id: first.scanId } });
    await withdrawScan(t.db, { scanId: scan.id, reason: "Race check" }, ctx);
    let release!: () => void;
    const recording = t.db.$transaction(
      async (tx) => {
        await lockContent(tx, [scan.storageKey]);
        await tx.scan.create({
          data: {
            patientId: other.id,
            sha256: scan.sha256,
            storageKey: scan.storageKey,
            width: scan.width,
            height: scan.height,
            origin: "upload",
          },
        });
        await new Promise<void>((resolve) => (release = resolve));
      },
      { timeout: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 200));
    const purging = purgeScan(t.db, { scanId: scan.id }, ctx);
    // Let the purge reach the files while the upload's row is not committed yet.
    await new Promise((r) => setTimeout(r, 1_000));
    release();
    await recording;
    expect(await purging).toMatchObject({ purged: true, filesRemoved: 0 });
    expect(await scanStore().exists(scan.storageKey)).toBe(true);
  });

  it("writes the files again when a removal took them between the store step and the row", async () => {
    const ctx = { actor: actors.admin, ip: null };
    const patient = await t.db.patient.create({ data: { mrn: "WD-RACE-3", name: "Race Three", sex: "female" } });
    // The store step finds the files in place, then a purge (or a sweep) removes them before the row is recorded.
    class RemovedMeanwhile extends ScanStore {
      private removed = false;
      override async put(...args: Parameters<ScanStore["put"]>) {
        const stored = await super.put(...args);
        if (this.removed) return stored;
        this.removed = true;
        await this.remove(stored.key);
        return { key: stored.key, created: false };
      }
    }
    const store = new RemovedMeanwhile(scanStore().blobs);
    const stored = await ingestScan(
      t.db,
      { patientId: patient.id, bytes: raceFilms[1]!, origin: "upload" },
      ctx,
      store,
    );
    const row = await t.db.scan.findUniqueOrThrow({ where: { id: stored.scanId } });
    expect(await scanStore().renditionsOf(row.storageKey)).toEqual(
      expect.arrayContaining(["original", "preview.jpg", "thumb.jpg"]),
    );
  });

  it("removes every file from a bucket too", async () => {
    const server = await startS3Server();
    try {
      const settings = storageFromEnv(server.env("withdraw"));
      if (settings.kind !== "s3") throw new Error("expected S3 settings");
      const store = new ScanStore(new S3BlobStore(settings));
      const patient = await t.db.patient.create({ data: { mrn: "WD-S3", name: "Bucket Patient", sex: "female" } });
      const ctx = { actor: actors.admin, ip: null };
      const stored = await ingestScan(t.db, { patientId: patient.id, bytes: spare, origin: "upload" }, ctx, store);
      const key = (await t.db.scan.findUniqueOrThrow({ where: { id: stored.scanId } })).storageKey;
      expect(await store.renditionsOf(key)).toEqual(expect.arrayContaining(["original", "preview.jpg", "thumb.jpg"]));
      await withdrawScan(t.db, { scanId: stored.scanId, reason: "Bucket check" }, ctx);
      const purged = await purgeScan(t.db, { scanId: stored.scanId }, ctx, store);
      expect(purged.purged).toBe(true);
      expect(purged.filesRemoved).toBeGreaterThanOrEqual(3);
      expect(await store.renditionsOf(key)).toEqual([]);
      expect(await t.db.scan.count({ where: { id: stored.scanId } })).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
