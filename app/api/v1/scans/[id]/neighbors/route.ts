// GET /api/v1/scans/{id}/neighbors?k=36: nearest labelled reference scans. See docs/api.md.
import { scanNeighbours } from "@/lib/api/neighbours";
import { apiRoute } from "@/lib/api/route";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({}, (ctx, { id }) => scanNeighbours(ctx, id));
