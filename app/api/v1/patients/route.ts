// POST /api/v1/patients: create a patient (JSON body). See docs/api.md.
import { createPatientFromApi } from "@/lib/api/patients";
import { apiRoute } from "@/lib/api/route";

export const dynamic = "force-dynamic";

export const POST = apiRoute({}, (ctx) => createPatientFromApi(ctx));
