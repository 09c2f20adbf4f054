// POST /api/v1/patients/{id}/break-glass {"reason": "..."}: opens a patient outside the caller's care teams for a
// limited time, recorded as patient.break_glass (RADTRACK_PATIENT_SCOPING=care-team). See docs/api.md.
import { readJsonObject } from "@/lib/api/body";
import { jsonResponse, notFound } from "@/lib/api/errors";
import { apiRoute, requireUuid } from "@/lib/api/route";
import { runAction } from "@/lib/api/run-action";
import { breakGlassAction } from "@/lib/patients/actions";

export const dynamic = "force-dynamic";

export const POST = apiRoute<{ id: string }>({}, async (ctx, params) => {
  const patientId = requireUuid(params.id, "This patient");
  if (!(await ctx.db.patient.findUnique({ where: { id: patientId }, select: { id: true } }))) {
    throw notFound("This patient");
  }
  const body = await readJsonObject(ctx.request);
  const grant = await runAction(breakGlassAction, { patientId, reason: body.reason }, ctx);
  return jsonResponse(grant, 201);
});
