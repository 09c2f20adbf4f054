// POST /api/v1/scans/{id}/withdraw {"reason": "..."}: takes a wrong scan off the patient's timeline. See docs/api.md.
import { apiRoute } from "@/lib/api/route";
import { withdrawScanFromApi } from "@/lib/api/scan-withdrawal";

export const dynamic = "force-dynamic";

export const POST = apiRoute<{ id: string }>({}, (ctx, { id }) => withdrawScanFromApi(ctx, id));
