// GET /api/v1/fhir/Patient/{id}/$everything (a documented subset: Patient, ImagingStudy, Observation,
// DiagnosticReport) and GET /api/v1/fhir/Observation?patient=…: FHIR R4 JSON for scripts and clinical systems. The
// same patient access rules and audit as the rest of the API.
import type { Resource } from "@medplum/fhirtypes";
import { ApiError, notFound } from "@/lib/api/errors";
import type { ApiContext } from "@/lib/api/route";
import { requireUuid } from "@/lib/api/route";
import { recordAudit } from "@/lib/audit/audit-log";
import { requirePatientAccess } from "@/lib/patients/access";
import {
  bundle,
  diagnosticReportResource,
  imagingStudyResource,
  observationResource,
  patientResource,
  type FhirContext,
} from "./resources";
import { patientRecord } from "./service";

const FHIR_JSON = "application/fhir+json; fhirVersion=4.0";

function fhirResponse(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "content-type": FHIR_JSON, "cache-control": "no-store" },
  });
}

function contextOf(request: Request): FhirContext {
  return { base: new URL(request.url).origin };
}

async function readablePatient(ctx: ApiContext, rawId: string | undefined) {
  const id = requireUuid(rawId, "This patient");
  if (!(await ctx.db.patient.findUnique({ where: { id }, select: { id: true } }))) throw notFound("This patient");
  await requirePatientAccess(ctx.db, ctx.actor, id);
  const record = await patientRecord(ctx.db, id);
  if (!record) throw notFound("This patient");
  return record;
}

async function audit(ctx: ApiContext, patientId: string, what: string, count: number) {
  await recordAudit(ctx.db, ctx, {
    action: "fhir.read",
    targetType: "patient",
    targetId: patientId,
    patientId,
    details: { what, resources: count },
  });
}

export async function patientEverything(ctx: ApiContext, rawId: string | undefined): Promise<Response> {
  const record = await readablePatient(ctx, rawId);
  const fhir = contextOf(ctx.request);
  const id = record.patient.id;
  const resources: Resource[] = [
    patientResource(record.patient, fhir),
    ...record.scans.map((s) => imagingStudyResource(id, s)),
    ...record.scans.flatMap((s) => observationResource(id, s, fhir) ?? []),
    diagnosticReportResource(id, record.scans, record.course, fhir),
  ];
  await audit(ctx, id, "Patient/$everything", resources.length);
  return fhirResponse(bundle("collection", resources, fhir));
}

export async function searchObservations(ctx: ApiContext): Promise<Response> {
  const params = new URL(ctx.request.url).searchParams;
  const unknown = [...params.keys()].filter((k) => k !== "patient" && k !== "subject");
  if (unknown.length) {
    throw new ApiError(400, `Unsupported search parameter(s): ${unknown.join(", ")}. Search by patient only.`);
  }
  const raw = params.get("patient") ?? params.get("subject");
  if (!raw) throw new ApiError(400, "Name the patient: /api/v1/fhir/Observation?patient=<id>.");
  const record = await readablePatient(ctx, raw.replace(/^Patient\//, ""));
  const fhir = contextOf(ctx.request);
  const observations = record.scans.flatMap((s) => observationResource(record.patient.id, s, fhir) ?? []);
  await audit(ctx, record.patient.id, "Observation?patient", observations.length);
  return fhirResponse(bundle("searchset", observations, fhir));
}
