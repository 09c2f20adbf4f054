// GET: a patient's scans. POST: upload a scan (multipart/form-data, field "file"). See docs/api.md.
import { listPatientScans } from "@/lib/api/patients";
import { apiRoute } from "@/lib/api/route";
import { uploadScanFromApi } from "@/lib/api/scans";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({}, (ctx, { id }) => listPatientScans(ctx, id));
export const POST = apiRoute<{ id: string }>({}, (ctx, { id }) => uploadScanFromApi(ctx, id));
