// /api/v1/patients: find patients, create a patient and list a patient's scans, through the same action and services as the UI.
import { z } from "zod";
import { UserFacingError } from "@/lib/errors";
import { requirePatientAccess } from "@/lib/patients/access";
import { lookupPatients, recordPatientSearch, recordPatientView } from "@/lib/patients/service";
import { createPatientAction } from "@/lib/patients/actions";
import type { CreatePatientInput } from "@/lib/patients/schemas";
import { timeText } from "@/lib/scans/acquisition-date";
import { TIMELINE_ORDER } from "@/lib/timeline/timeline";
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
  await requirePatientAccess(ctx.db, ctx.actor, patient.id);
  return patient;
}

const WITHDRAWN_FILTERS = {
  exclude: { withdrawnAt: null },
  include: {},
  only: { withdrawnAt: { not: null } },
} as const;
type WithdrawnFilter = keyof typeof WITHDRAWN_FILTERS;

/** `?withdrawn=exclude|include|only`: withdrawn scans (lib/scans/withdraw.ts) are left out unless asked for. */
function withdrawnFilter(url: URL): WithdrawnFilter {
  const unknown = [...url.searchParams.keys()].filter((k) => k !== "withdrawn");
  if (unknown.length) throw new ApiError(400, `Unknown query parameter ${unknown[0]}: only withdrawn is accepted.`);
  const value = url.searchParams.get("withdrawn") ?? "exclude";
  if (!Object.hasOwn(WITHDRAWN_FILTERS, value)) {
    throw new ApiError(400, "withdrawn must be exclude (the default), include or only.");
  }
  return value as WithdrawnFilter;
}

export async function listPatientScans(ctx: ApiContext, rawId: string | undefined): Promise<Response> {
  const patient = await requirePatient(ctx, rawId);
  const filter = withdrawnFilter(new URL(ctx.request.url));
  const scans = await ctx.db.scan.findMany({
    where: { patientId: patient.id, ...WITHDRAWN_FILTERS[filter] },
    orderBy: TIMELINE_ORDER,
    select: {
      id: true,
      acquiredAt: true,
      acquiredTime: true,
      view: true,
      width: true,
      height: true,
      origin: true,
      createdAt: true,
      withdrawnAt: true,
      withdrawnBy: true,
      withdrawReason: true,
    },
  });
  // Reading a patient's record through the API is audited like opening the patient's page.
  await recordPatientView(ctx.db, patient.id, ctx, { via: "api", scans: scans.length });
  return jsonResponse({
    patientId: patient.id,
    scans: scans.map((s) => ({
      id: s.id,
      acquiredAt: s.acquiredAt?.toISOString() ?? null,
      acquiredTime: timeText(s.acquiredTime),
      view: s.view,
      width: s.width,
      height: s.height,
      origin: s.origin,
      createdAt: s.createdAt.toISOString(),
      // Only when withdrawn scans were asked for, so that the default answer keeps its shape.
      ...(filter === "exclude"
        ? {}
        : {
            withdrawn: s.withdrawnAt
              ? { at: s.withdrawnAt.toISOString(), by: s.withdrawnBy, reason: s.withdrawReason }
              : null,
          }),
    })),
  });
}

// The cursor is opaque to clients: the last MRN of the page, so paging stays stable while patients are added.
const cursorSchema = z
  .string()
  .max(400)
  .transform((value, ctx) => {
    try {
      const decoded = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown;
      const parsed = z.object({ after: z.string().max(64) }).safeParse(decoded);
      if (parsed.success) return parsed.data.after;
    } catch {
      // falls through to the issue below
    }
    ctx.addIssue({ code: "custom", message: "This cursor is not one Radtrack gave out; start again without it." });
    return z.NEVER;
  });

const lookupQuery = z.object({
  mrn: z.string().trim().min(1, "mrn must not be empty.").max(64, "mrn is at most 64 characters.").optional(),
  q: z.string().trim().max(200, "q is at most 200 characters.").optional(),
  cursor: cursorSchema.optional(),
  limit: z.coerce
    .number({ error: "limit must be a number." })
    .int("limit must be a whole number.")
    .min(1, "limit is 1 to 100.")
    .max(100, "limit is 1 to 100.")
    .default(25),
});

const encodeCursor = (after: string) => Buffer.from(JSON.stringify({ after })).toString("base64url");

/** GET /api/v1/patients?mrn=&q=&cursor=&limit=: patients in MRN order, a page at a time. */
export async function findPatientsFromApi(ctx: ApiContext): Promise<Response> {
  const params = new URL(ctx.request.url).searchParams;
  const known = new Set(["mrn", "q", "cursor", "limit"]);
  const unknown = [...params.keys()].filter((k) => !known.has(k));
  if (unknown.length) throw new ApiError(400, `Unknown query parameter ${unknown[0]}: use mrn, q, cursor or limit.`);
  const parsed = lookupQuery.safeParse(Object.fromEntries(params));
  if (!parsed.success) {
    const fieldErrors = z.flattenError(parsed.error).fieldErrors;
    throw new ApiError(400, parsed.error.issues[0]?.message ?? "Invalid query.", { fieldErrors });
  }
  const { mrn, q, cursor, limit } = parsed.data;
  const page = await lookupPatients(ctx.db, { mrn, q: q || undefined, after: cursor, limit }, ctx.actor);
  await recordPatientSearch(ctx.db, ctx, {
    via: "api",
    filtered: Boolean(mrn || q),
    patientIds: page.patients.map((p) => p.id),
  });
  return jsonResponse({
    patients: page.patients.map((p) => ({
      id: p.id,
      mrn: p.mrn,
      name: p.name,
      sex: p.sex,
      birthYear: p.birthYear,
      scanCount: p._count.scans,
      lastScanAt: p.summary?.lastScanAt?.toISOString() ?? null,
      latestSeverity: p.summary?.latestIndex ?? null,
      latestExtent: p.summary?.latestExtent ?? null,
      status: p.summary?.status ?? null,
      alertCount: p.summary?.alertCount ?? 0,
      updatedAt: p.updatedAt.toISOString(),
    })),
    nextCursor: page.next === null ? null : encodeCursor(page.next),
  });
}
