// POST /dicomweb/studies: STOW-RS, for a PACS or a router that pushes instances (an admin's bearer token). See
// docs/integration.md.
import { apiRoute } from "@/lib/api/route";
import { stowFromApi } from "@/lib/dicomweb/stow";

export const dynamic = "force-dynamic";

export const POST = apiRoute({ roles: ["admin"] }, (ctx) => stowFromApi(ctx));
