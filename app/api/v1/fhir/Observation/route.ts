// GET /api/v1/fhir/Observation?patient={id}: the patient's severity Observations as a FHIR R4 searchset Bundle.
import { apiRoute } from "@/lib/api/route";
import { searchObservations } from "@/lib/fhir/api";

export const dynamic = "force-dynamic";

export const GET = apiRoute({}, (ctx) => searchObservations(ctx));
