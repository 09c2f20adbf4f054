// GET /api/v1/scans/{id}/thumbnail: the re-encoded JPEG thumbnail (never the original file). Bearer token or session.
import { apiRoute } from "@/lib/api/route";
import { scanImage } from "@/lib/api/scans";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ session: true }, (ctx, { id }) => scanImage(ctx, id, "thumbnail"));
