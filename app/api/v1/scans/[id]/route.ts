// DELETE /api/v1/scans/{id}: purges a withdrawn scan, its files and rows, for good (admins; audited). See docs/api.md.
import { apiRoute } from "@/lib/api/route";
import { purgeScanFromApi } from "@/lib/api/scan-withdrawal";

export const dynamic = "force-dynamic";

export const DELETE = apiRoute<{ id: string }>({ roles: ["admin"] }, (ctx, { id }) => purgeScanFromApi(ctx, id));
