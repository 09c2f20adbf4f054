// GET /api/scans/{id}/thumbnail: the web UI's <img> source, authenticated by the session cookie (or a bearer token).
// Same handler as /api/v1/scans/{id}/thumbnail.
import { apiRoute } from "@/lib/api/route";
import { scanImage } from "@/lib/api/scans";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ session: true }, (ctx, { id }) => scanImage(ctx, id, "thumbnail"));
