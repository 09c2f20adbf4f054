// GET /api/v1/patients: find patients by MRN or name, a page at a time. POST: create a patient (JSON body).
// See docs/api.md.
import { createPatientFromApi, findPatientsFromApi } from "@/lib/api/patients";
import { apiRoute } from "@/lib/api/route";

export const dynamic = "force-dynamic";

export const POST = apiRoute({}, (ctx) => createPatientFromApi(ctx));
export const GET = apiRoute({}, (ctx) => findPatientsFromApi(ctx));
