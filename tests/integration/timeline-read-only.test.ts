// Reading a patient's course writes nothing but its audit events, even while the stored drift is stale: the timeline
// (the page's read, JSON, CSV, FHIR), the neighbours and the patient list (API and the page's "updating" marks) leave
// every other table and the indexes as they were, so they are safe on a read replica. A statement-level trigger on
// every table records any INSERT, UPDATE, DELETE or TRUNCATE, even one that touches no row. The values come from the
// writers' refresh, called the way the upload action calls it.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, readCorpusTable, realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { ingestScan } from "@/lib/scans/ingest";
import { searchPatients } from "@/lib/patients/service";
import { refreshPatientDrift } from "@/lib/timeline/refresh";
import { summaryIsStale } from "@/lib/timeline/staleness";
import { patientTimeline, readContext } from "@/lib/timeline/timeline";
import { createToken } from "@/lib/tokens/service";
import { callRoute } from "@/tests/support/api-call";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as timelineRoute from "@/app/api/v1/patients/[id]/timeline/route";
import * as csvRoute from "@/app/api/patients/[id]/timeline.csv/route";
import * as everythingRoute from "@/app/api/v1/fhir/Patient/[id]/$everything/route";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as neighboursRoute from "@/app/api/v1/scans/[id]/neighbors/route";

/** Every write to a table but the audit log lands in test_writes (one row per statement). */
const WATCH_WRITES = `
  CREATE TABLE test_writes (tbl text NOT NULL, op text NOT NULL);
  CREATE FUNCTION test_log_write() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO test_writes VALUES (TG_TABLE_NAME, TG_OP);
    RETURN NULL;
  END $$;
  DO $$
  DECLARE r record;
  BEGIN
    FOR r IN SELECT tablename FROM pg_tables
             WHERE schemaname = 'public' AND tablename NOT IN ('test_writes', 'audit_events') LOOP
      EXECUTE format('CREATE TRIGGER test_log_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                      FOR EACH STATEMENT EXECUTE FUNCTION test_log_write()', r.tablename);
    END LOOP;
  END $$;`;

describe("reads of the timeline and the patient list", () => {
  let t: TestDatabase;
  let dataDir: string;
  let token: string;
  let actor: { id: string; email: string; name: string; role: "admin" };
  let patientId: string;
  const scanIds: string[] = [];
  let subset: Awaited<ReturnType<typeof makeCorpusSubset>>;

  const writes = async () =>
    (await t.db.$queryRaw<{ tbl: string; op: string }[]>`SELECT tbl, op FROM test_writes`).map(
      (w) => `${w.op} ${w.tbl}`,
    );
  const indexes = async () =>
    (await t.db.$queryRaw<{ name: string }[]>`SELECT indexname AS name FROM pg_indexes ORDER BY 1`).map((r) => r.name);
  const audited = () => t.db.auditEvent.count();
  const get = <P>(handler: Parameters<typeof callRoute<P>>[0], url: string, params?: P) =>
    callRoute(handler, url, { token, params });

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-read-only-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    const table = await readCorpusTable();
    const ids = [...table.rows.keys()].sort();
    const adult = (id: string) => table.rows.get(id)![table.col("age_group")] === "adult";
    const nih = ids.filter((id) => id.startsWith("nih") && adult(id));
    subset = await makeCorpusSubset(table, {
      ids: [
        ...nih.filter((_, i) => i % 20 === 0).slice(0, 24),
        ...ids.filter((id) => id.startsWith("coh") && adult(id)).slice(0, 12),
      ],
    });
    await importReferenceLibrary(t.db, subset.dir, { includePediatric: false });
    const user = await t.db.user.create({
      data: {
        email: "reader@example.test",
        name: "Reader",
        role: "admin",
        passwordHash: await hashPassword("pw-123456"),
      },
    });
    actor = { id: user.id, email: user.email, name: user.name, role: "admin" };
    token = (await createToken(t.db, { userId: user.id, name: "reader" }, { actor: null, ip: null })).token;
    // The token's last use is stamped at most once a minute: stamp it now so the reads below need not.
    await t.db.apiToken.updateMany({ data: { lastUsedAt: new Date() } });
    patientId = (await t.db.patient.create({ data: { mrn: "RO-1", name: "Read Only", sex: "female" } })).id;
    // Films stored without the refresh an upload makes (as a bulk job leaves them until the drift queue runs).
    const films = nih.filter((_, i) => i % 20 === 7).slice(0, 3);
    for (const [i, id] of films.entries()) {
      const result = await ingestScan(
        t.db,
        {
          patientId,
          bytes: await readFile(path.join(realCorpusDir(), `${id}.jpg`)),
          origin: "upload",
          acquiredAt: new Date(Date.UTC(2026, 0, 5 + 14 * i)),
        },
        { actor: null, ip: null },
      );
      scanIds.push(result.scanId);
    }
    await t.db.$executeRawUnsafe(WATCH_WRITES);
  });

  afterAll(async () => {
    await t?.close();
    await subset?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("reads a stale timeline as pending and writes nothing but the audit events", async () => {
    const before = { indexes: await indexes(), audit: await audited() };
    const timeline = await patientTimeline(t.db, patientId);
    expect(timeline.scans.map((s) => s.scanId)).toEqual(scanIds);
    expect(timeline.scans.every((s) => s.assessment === null)).toBe(true);
    expect(timeline.pending).toBe(3);

    const json = await get(timelineRoute.GET, `/api/v1/patients/${patientId}/timeline`, { id: patientId });
    expect(json.status).toBe(200);
    const body = (await json.json()) as { scans: { severityIndex: number | null }[] };
    expect(body.scans.map((s) => s.severityIndex)).toEqual([null, null, null]);
    const csv = await get(csvRoute.GET, `/api/patients/${patientId}/timeline.csv`, { id: patientId });
    expect(csv.status).toBe(200);
    const fhir = await get(everythingRoute.GET, `/api/v1/fhir/Patient/${patientId}/$everything`, { id: patientId });
    expect(fhir.status).toBe(200);
    const neighbours = await get(neighboursRoute.GET, `/api/v1/scans/${scanIds[0]}/neighbors?k=12`, {
      id: scanIds[0]!,
    });
    expect(neighbours.status).toBe(200);
    const list = await get(patientsRoute.GET, "/api/v1/patients");
    expect(list.status).toBe(200);
    // The list page's data: the patients and which of them are being recomputed.
    const page = await searchPatients(t.db, {}, actor);
    const current = await readContext(t.db);
    expect(page.patients.filter((p) => summaryIsStale(p.summary, p._count.scans, current)).map((p) => p.id)).toEqual([
      patientId,
    ]);

    expect(await writes()).toEqual([]);
    expect(await indexes()).toEqual(before.indexes);
    // Each GET still leaves its audit event (timeline, CSV, FHIR, neighbours, list).
    expect((await audited()) - before.audit).toBeGreaterThanOrEqual(5);
  });

  it("shows the values once a writer refreshed them, still without writing on read", async () => {
    // What the upload action does after storing a film.
    const refreshed = await refreshPatientDrift(t.db, patientId);
    expect(refreshed.pending).toBe(0);
    expect(await writes()).toContain("INSERT scan_assessments");
    expect(await writes()).toContain("INSERT patient_summaries");
    await t.db.$executeRawUnsafe(`TRUNCATE test_writes`);

    const timeline = await patientTimeline(t.db, patientId);
    expect(timeline.pending).toBe(0);
    expect(timeline.scans.every((s) => s.assessment !== null)).toBe(true);
    expect(timeline).toEqual(refreshed);
    const json = await get(timelineRoute.GET, `/api/v1/patients/${patientId}/timeline`, { id: patientId });
    const body = (await json.json()) as { scans: { severityIndex: number | null }[] };
    expect(body.scans.every((s) => s.severityIndex !== null)).toBe(true);
    const summary = await t.db.patientSummary.findUniqueOrThrow({ where: { patientId } });
    expect(summary.scanCount).toBe(3);
    const page = await searchPatients(t.db, {}, actor);
    const current = await readContext(t.db);
    expect(page.patients.map((p) => summaryIsStale(p.summary, p._count.scans, current))).toEqual([false]);
    expect(await writes()).toEqual([]);
  });
});
