// GET /api/v1/fhir/Patient/{id}/$everything: the patient's record as a FHIR R4 collection Bundle (Patient,
// ImagingStudy, Observation, DiagnosticReport). See docs/integration.md.
import { apiRoute } from "@/lib/api/route";
import { patientEverything } from "@/lib/fhir/api";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({}, (ctx, params) => patientEverything(ctx, params.id));
