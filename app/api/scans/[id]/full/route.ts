// GET /api/scans/{id}/full: the viewer's large rendition (longest side 2048 px, metadata-free), made on first request
// for scans stored before it existed. Session or bearer token; audited as scan.viewed like the preview.
import { apiRoute } from "@/lib/api/route";
import { scanImage } from "@/lib/api/scans";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ session: true }, (ctx, { id }) => scanImage(ctx, id, "full"));
