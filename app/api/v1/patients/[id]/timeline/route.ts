// GET: the patient's timeline as JSON (extent with interval, neighbours' mix, trend, alerts, model id). docs/api.md.
import { apiRoute } from "@/lib/api/route";
import { patientTimelineFromApi } from "@/lib/api/timeline";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({}, (ctx, { id }) => patientTimelineFromApi(ctx, id));
