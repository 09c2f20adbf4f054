// GET /api/scans/{id}/heatmap: the occlusion heatmap overlay (PNG), computed on the first request and kept.
import { apiRoute } from "@/lib/api/route";
import { scanHeatmap } from "@/lib/api/scans";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ session: true }, (ctx, { id }) => scanHeatmap(ctx, id));
