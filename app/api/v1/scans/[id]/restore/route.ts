// POST /api/v1/scans/{id}/restore: puts a withdrawn scan back (admins). See docs/api.md.
import { apiRoute } from "@/lib/api/route";
import { restoreScanFromApi } from "@/lib/api/scan-withdrawal";

export const dynamic = "force-dynamic";

export const POST = apiRoute<{ id: string }>({ roles: ["admin"] }, (ctx, { id }) => restoreScanFromApi(ctx, id));
