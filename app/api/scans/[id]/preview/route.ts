// GET /api/scans/{id}/preview: the web UI's <img> source, authenticated by the session cookie (or a bearer token).
// Same handler as /api/v1/scans/{id}/preview.
import { apiRoute } from "@/lib/api/route";
import { scanImage } from "@/lib/api/scans";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ session: true }, (ctx, { id }) => scanImage(ctx, id, "preview"));
