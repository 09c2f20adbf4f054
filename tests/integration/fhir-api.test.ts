// The FHIR R4 endpoints end to end: a real reference library, films received from a "PACS" (STOW-RS path, DCMTK
// files) and one uploaded JPEG, then GET /api/v1/fhir/Patient/{id}/$everything and /api/v1/fhir/Observation through the
// route handlers with a bearer token. Every resource returned validates against the R4 definitions.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Bundle, DiagnosticReport, ImagingStudy, Observation } from "@medplum/fhirtypes";
import { Fhir } from "fhir";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { receiveInstances } from "@/lib/dicomweb/receive";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, readCorpusTable, smallAdultLibrary } from "@/tests/support/reference/corpus-subset";
import { ingestScan } from "@/lib/scans/ingest";
import { refreshPatientDrift } from "@/lib/timeline/refresh";
import { createToken } from "@/lib/tokens/service";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as everythingRoute from "@/app/api/v1/fhir/Patient/[id]/$everything/route";
import * as observationRoute from "@/app/api/v1/fhir/Observation/route";

const BASE = "http://radtrack.test";
const OWN_SYSTEM = `${BASE}/fhir/CodeSystem/radtrack`;
const fhir = new Fhir();

function problems(resource: object) {
  return fhir
    .validate(resource, {
      errorOnUnexpected: true,
      // The deployment's own code system is unknown to the validator; every other code is checked.
      beforeCheckCode: (_valueSet, _code, system) => system === OWN_SYSTEM,
    })
    .messages.filter((m) => m.severity !== "info")
    .map((m) => `${m.severity} ${m.location}: ${m.message}`);
}

describe("FHIR R4 API", () => {
  let t: TestDatabase;
  let fx: FixtureDir;
  let dataDir: string;
  let token: string;
  let patientId: string;
  let subset: Awaited<ReturnType<typeof makeCorpusSubset>>;

  type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

  async function get<P>(handler: Handler<P>, url: string, params?: P) {
    const request = new Request(`${BASE}${url}`, {
      headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "192.0.2.44" },
    });
    return handler(request, { params: Promise.resolve(params ?? ({} as P)) });
  }

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-fhir-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    const table = await readCorpusTable();
    subset = await makeCorpusSubset(table, { ids: smallAdultLibrary(table, { nih: 30, coh: 16 }) });
    await importReferenceLibrary(t.db, subset.dir, { includePediatric: false });
    fx = await FixtureDir.create();
    const admin = await t.db.user.create({
      data: {
        email: "fhir@example.test",
        name: "Fhir",
        role: "admin",
        passwordHash: await hashPassword("fhir-pass-123"),
      },
    });
    token = (await createToken(t.db, { userId: admin.id, name: "fhir" }, { actor: null, ip: null })).token;
    patientId = (
      await t.db.patient.create({ data: { mrn: "F-1", name: "Fhir Patient", sex: "male", birthYear: 1960 } })
    ).id;
    const films = [];
    for (const [i, id] of ["mhh00001", "mhh00002"].entries()) {
      await fx.img2dcm(corpusPath(id), `${id}.dcm`, {
        PatientID: "F-1",
        PatientName: "Patient^Fhir",
        Modality: "DX",
        BodyPartExamined: "CHEST",
        ViewPosition: "PA",
        StudyDate: `2026110${i + 1}`,
      });
      films.push(await fx.read(`${id}.dcm`));
    }
    const settings = {
      filters: { modalities: ["CR", "DX"], aeTitles: [], institutions: [] },
      createPatients: false,
      issuer: undefined,
    };
    const outcomes = await receiveInstances(t.db, films, { via: "stow", remote: "stow:test" }, settings, {
      actor: null,
      ip: null,
    });
    expect(outcomes.map((o) => o.outcome)).toEqual(["ingested", "ingested"]);
    await ingestScan(
      t.db,
      {
        patientId,
        bytes: await readFile(corpusPath("mhh00003")),
        origin: "upload",
        acquiredAt: new Date("2026-11-10T00:00:00Z"),
      },
      { actor: null, ip: null },
    );
    // The upload action refreshes the patient's drift after storing a film; reads compute nothing.
    await refreshPatientDrift(t.db, patientId);
  });

  afterAll(async () => {
    await t?.close();
    await fx?.remove();
    await subset?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("$everything: the patient, an ImagingStudy per film, an Observation per assessed film, a report; all valid R4", async () => {
    const response = await get(everythingRoute.GET, `/api/v1/fhir/Patient/${patientId}/$everything`, { id: patientId });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/fhir\+json/);
    const b = (await response.json()) as Bundle;
    expect(problems(b)).toEqual([]);
    for (const entry of b.entry ?? []) expect(problems(entry.resource!), entry.fullUrl).toEqual([]);
    const of = <T>(type: string) =>
      (b.entry ?? []).map((e) => e.resource!).filter((r) => r.resourceType === type) as T[];
    expect(of("Patient")).toHaveLength(1);
    const studies = of<ImagingStudy>("ImagingStudy");
    expect(studies).toHaveLength(3);
    const fromPacs = studies.filter((s) => s.series?.length);
    expect(fromPacs).toHaveLength(2);
    expect(fromPacs[0]!.series![0]!.modality.code).toBe("DX");
    expect(fromPacs[0]!.identifier?.[0]?.value).toMatch(/^urn:oid:[\d.]+$/);
    const observations = of<Observation>("Observation");
    expect(observations).toHaveLength(3);
    for (const o of observations) {
      expect(o.status).toBe("preliminary");
      // The extent (0-8) when the model has an extent head, else the neighbours' index (0-1): within its scale.
      const value = o.valueQuantity!.value!;
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(o.referenceRange![0]!.high!.value!);
      const interval = o.component!.find((c) => c.valueRange)?.valueRange;
      if (o.referenceRange![0]!.high!.value === 8) {
        expect(interval!.low!.value!).toBeLessThanOrEqual(value);
        expect(interval!.high!.value!).toBeGreaterThanOrEqual(value);
      }
      const mix = o.component!.filter((c) => c.valueInteger !== undefined).map((c) => c.valueInteger!);
      expect(mix).toHaveLength(3);
      expect(mix.reduce((a, c) => a + c, 0)).toBe(36);
    }
    const [report] = of<DiagnosticReport>("DiagnosticReport");
    expect(report!.result).toHaveLength(3);
    expect(report!.conclusion).toMatch(/^Status: (improving|stable|worsening|insufficient)/);
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: "fhir.read", patientId } });
    expect(audit.details).toEqual({ what: "Patient/$everything", resources: 8 });
  });

  it("Observation?patient=: a searchset of the same Observations; bad searches are refused", async () => {
    const response = await get(observationRoute.GET, `/api/v1/fhir/Observation?patient=Patient/${patientId}`);
    expect(response.status).toBe(200);
    const b = (await response.json()) as Bundle;
    expect(b.type).toBe("searchset");
    expect(b.total).toBe(3);
    expect(problems(b)).toEqual([]);
    expect((await get(observationRoute.GET, "/api/v1/fhir/Observation")).status).toBe(400);
    expect((await get(observationRoute.GET, `/api/v1/fhir/Observation?code=x&patient=${patientId}`)).status).toBe(400);
    const unknown = "00000000-0000-4000-8000-000000000000";
    expect((await get(observationRoute.GET, `/api/v1/fhir/Observation?patient=${unknown}`)).status).toBe(404);
  });
});
