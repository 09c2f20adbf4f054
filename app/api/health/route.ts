// GET /api/health: 200 when the database and the file store answer, else 503 naming what is down (lib/http/health.ts).
import { healthResponse } from "@/lib/http/health";

export const dynamic = "force-dynamic";

export const GET = () => healthResponse();
