// GET /api/patients/{id}/timeline.csv: the patient's timeline for spreadsheets (session cookie or bearer token).
import { apiRoute, requireUuid } from "@/lib/api/route";
import { ApiError } from "@/lib/api/errors";
import { requirePatientAccess } from "@/lib/patients/access";
import { recordPatientView } from "@/lib/patients/service";
import { timelineCsv } from "@/lib/timeline/csv";
import { patientTimeline } from "@/lib/timeline/timeline";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ session: true }, async (ctx, params) => {
  const id = requireUuid(params.id, "This patient");
  const patient = await ctx.db.patient.findUnique({ where: { id }, select: { id: true, mrn: true } });
  if (!patient) throw new ApiError(404, "This patient does not exist.");
  await requirePatientAccess(ctx.db, ctx.actor, patient.id);
  const csv = timelineCsv(await patientTimeline(ctx.db, patient.id));
  await recordPatientView(ctx.db, patient.id, ctx, { export: "timeline.csv" });
  const safeMrn = patient.mrn.replace(/[^A-Za-z0-9._-]/g, "_");
  return new Response(csv, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="timeline-${safeMrn}.csv"`,
      "cache-control": "no-store",
    },
  });
});
