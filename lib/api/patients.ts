// /api/v1/patients: create a patient and list a patient's scans, through the same action and services as the UI.
import { UserFacingError } from "@/lib/actions/define-action";
import { recordPatientView } from "@/lib/patients/service";
import { createPatientAction } from "@/lib/patients/actions";
import type { CreatePatientInput } from "@/lib/patients/schemas";
import { readJsonObject } from "./body";
import { ApiError, jsonResponse, notFound } from "./errors";
import { prepareAction } from "./run-action";
import { requireUuid, type ApiContext } from "./route";

function duplicateMrn(mrn: string, existingPatientId: string): ApiError {
  return new ApiError(409, `A patient with MRN ${mrn} already exists.`, { existingPatientId });
}

export async function createPatientFromApi(ctx: ApiContext): Promise<Response> {
  const body = await readJsonObject(ctx.request);
  const action = prepareAction(createPatientAction, body, ctx);
  const { mrn } = action.input as CreatePatientInput;
  const existing = await ctx.db.patient.findUnique({ where: { mrn }, select: { id: true } });
  if (existing) throw duplicateMrn(mrn, existing.id);
  try {
    const { id } = await action.run();
    return jsonResponse({ id }, 201, { Location: `/api/v1/patients/${id}` });
  } catch (error) {
    // Lost a race with another request creating the same MRN.
    if (error instanceof UserFacingError) {
      const winner = await ctx.db.patient.findUnique({ where: { mrn }, select: { id: true } });
      if (winner) throw duplicateMrn(mrn, winner.id);
    }
    throw error;
  }
}

export async function requirePatient(ctx: ApiContext, rawId: string | undefined) {
  const id = requireUuid(rawId, "This patient");
  const patient = await ctx.db.patient.findUnique({ where: { id }, select: { id: true } });
  if (!patient) throw notFound("This patient");
  return patient;
}

export async function listPatientScans(ctx: ApiContext, rawId: string | undefined): Promise<Response> {
  const patient = await requirePatient(ctx, rawId);
  const scans = await ctx.db.scan.findMany({
    where: { patientId: patient.id },
    orderBy: [{ acquiredAt: "asc" }, { createdAt: "asc" }, { id: "asc" }],
    select: { id: true, acquiredAt: true, view: true, width: true, height: true, origin: true, createdAt: true },
  });
  // Reading a patient's record through the API is audited like opening the patient's page.
  await recordPatientView(ctx.db, patient.id, ctx, { via: "api", scans: scans.length });
  return jsonResponse({
    patientId: patient.id,
    scans: scans.map((s) => ({
      id: s.id,
      acquiredAt: s.acquiredAt?.toISOString() ?? null,
      view: s.view,
      width: s.width,
      height: s.height,
      origin: s.origin,
      createdAt: s.createdAt.toISOString(),
    })),
  });
}
