// GET /api/v1/patients/{id}/timeline: the patient's course as JSON, the same numbers as the page and the CSV: per
// scan the calibrated extent (0-8) with its interval when the model has an extent head, the neighbours' index and
// class mix; the trend, status and alerts on the scale in use; the model id. Audited as patient.viewed.
import { recordPatientView } from "@/lib/patients/service";
import { patientTimeline } from "@/lib/timeline/timeline";
import { ApiError, jsonResponse } from "./errors";
import { requireUuid, type ApiContext } from "./route";

export async function patientTimelineFromApi(ctx: ApiContext, rawPatientId: string | undefined): Promise<Response> {
  const id = requireUuid(rawPatientId, "This patient");
  const patient = await ctx.db.patient.findUnique({ where: { id }, select: { id: true } });
  if (!patient) throw new ApiError(404, "This patient does not exist.");
  const t = await patientTimeline(ctx.db, patient.id);
  await recordPatientView(ctx.db, patient.id, ctx, { export: "timeline.json" });
  const alerts = new Map(t.drift.alerts.map((a) => [a.scanId, a]));
  return jsonResponse({
    patientId: patient.id,
    modelId: t.modelId,
    scale: { id: t.scale.id, max: t.scale.max, regions: t.scale.regions, calibrated: t.scale.calibrated },
    decisionSupport: "Radtrack is decision support, not a diagnosis.",
    scans: t.scans.map((s) => ({
      scanId: s.scanId,
      acquiredAt: s.acquiredAt.toISOString(),
      view: s.view,
      extent: s.extent,
      severityIndex: s.assessment?.index ?? null,
      region: s.assessment?.region ?? null,
      mix: s.assessment?.mix ?? null,
      alert: alerts.get(s.scanId)?.kind ?? null,
    })),
    trend: {
      perWeek: t.drift.slopePerWeek,
      unit: `${t.scale.unit} per week`,
      status: t.drift.status,
      alerts: t.drift.alerts,
    },
  });
}
