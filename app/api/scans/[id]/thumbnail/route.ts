// GET /api/scans/{id}/thumbnail: the address pages used before there was one image route tree. It is the handler of
// /api/v1/scans/{id}/thumbnail (session cookie or bearer token), kept so that links and bookmarks still work.
import { GET as v1 } from "@/app/api/v1/scans/[id]/thumbnail/route";

export const dynamic = "force-dynamic";

export const GET = v1;
