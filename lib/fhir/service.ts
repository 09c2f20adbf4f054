// Reads what the FHIR views need: the patient, their scans in timeline order with the stored assessments (what the
// writers' refresh stored: a read computes nothing), the DICOM identity of films that came from a PACS, and the course.
import type { Db } from "@/lib/db/client";
import { patientTimeline } from "@/lib/timeline/timeline";
import type { FhirCourseInput, FhirPatientInput, FhirScanInput } from "./resources";

export interface PatientRecord {
  patient: FhirPatientInput;
  scans: FhirScanInput[];
  course: FhirCourseInput;
}

function modelVersion(card: unknown): string | null {
  if (card && typeof card === "object" && "version" in card) {
    const v = (card as { version: unknown }).version;
    if (typeof v === "string" || typeof v === "number") return String(v);
  }
  return null;
}

/** Null when the patient does not exist. */
export async function patientRecord(db: Db, patientId: string): Promise<PatientRecord | null> {
  const patient = await db.patient.findUnique({
    where: { id: patientId },
    select: { id: true, mrn: true, name: true, sex: true, birthYear: true },
  });
  if (!patient) return null;
  const timeline = await patientTimeline(db, patientId);
  const ids = timeline.scans.map((s) => s.scanId);
  const [stored, dicom, model] = await Promise.all([
    db.scanAssessment.findMany({
      where: { scanId: { in: ids }, modelId: timeline.modelId },
      select: { scanId: true, libraryStamp: true, computedAt: true },
    }),
    db.dicomwebInstance.findMany({
      where: { scanId: { in: ids }, outcome: "ingested" },
      select: {
        scanId: true,
        studyUid: true,
        seriesUid: true,
        sopInstanceUid: true,
        sopClassUid: true,
        modality: true,
      },
    }),
    db.model.findUnique({ where: { id: timeline.modelId }, select: { card: true } }),
  ]);
  const storedBy = new Map(stored.map((s) => [s.scanId, s]));
  const dicomBy = new Map(dicom.map((d) => [d.scanId, d]));
  const version = modelVersion(model?.card);
  return {
    patient,
    scans: timeline.scans.map((s) => {
      const a = s.assessment;
      const row = storedBy.get(s.scanId);
      const d = dicomBy.get(s.scanId);
      return {
        id: s.scanId,
        acquiredAt: s.acquiredAt,
        view: s.view,
        extent: s.extent,
        model: s.assessment || s.extent ? { id: timeline.modelId, version } : null,
        dicom: d
          ? {
              studyUid: d.studyUid,
              seriesUid: d.seriesUid,
              sopInstanceUid: d.sopInstanceUid,
              sopClassUid: d.sopClassUid,
              modality: d.modality,
            }
          : null,
        assessment:
          a && row
            ? {
                index: a.index,
                region: a.region,
                mix: a.mix,
                k: a.k,
                libraryStamp: row.libraryStamp,
                computedAt: row.computedAt,
              }
            : null,
      };
    }),
    course: {
      scale: timeline.scale.id,
      status: timeline.drift.status,
      slopePerWeek: timeline.drift.slopePerWeek,
      alerts: timeline.drift.alerts,
    },
  };
}
