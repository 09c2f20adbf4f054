// What a clinician sees on opening a neighbour tile: the reference film's label and provenance, its expert scores
// when the source has them, and the other films of the same reference patient in date order.
import type { Db } from "@/lib/db/client";
import type { ReferenceClass } from "@/lib/domain";

export interface ReferencePatientFilm {
  scanId: string;
  class: ReferenceClass;
  sourceId: string;
  /** Days since the source's day 0 (onset or admission); null when the source gives none. */
  offsetDays: number | null;
}

export interface ReferenceDetails {
  scanId: string;
  class: ReferenceClass;
  source: string;
  sourceId: string;
  sourcePatient: string | null;
  finding: string | null;
  view: string | null;
  ageGroup: string | null;
  license: string | null;
  /** Expert scores (mean of the readers), when the source has them. */
  geographicMean: number | null;
  opacityMean: number | null;
  /** Every film of the same reference patient (this one included), in date order; undated ones last. */
  patientFilms: ReferencePatientFilm[];
}

/** Details of the given reference films (ids that are not reference films are left out). */
export async function referenceDetails(db: Db, scanIds: readonly string[]): Promise<Map<string, ReferenceDetails>> {
  if (scanIds.length === 0) return new Map();
  const labels = await db.referenceLabel.findMany({
    where: { scanId: { in: [...scanIds] } },
    include: { scan: { select: { view: true } } },
  });
  const patients = labels.filter((l) => l.sourcePatient);
  const siblings = patients.length
    ? await db.referenceLabel.findMany({
        where: { OR: patients.map((l) => ({ source: l.source, sourcePatient: l.sourcePatient })) },
        select: { scanId: true, class: true, source: true, sourceId: true, sourcePatient: true, offsetDays: true },
      })
    : [];
  const byPatient = new Map<string, ReferencePatientFilm[]>();
  for (const s of siblings) {
    const key = `${s.source}\u0000${s.sourcePatient}`;
    const list = byPatient.get(key) ?? [];
    list.push({ scanId: s.scanId, class: s.class, sourceId: s.sourceId, offsetDays: s.offsetDays });
    byPatient.set(key, list);
  }
  for (const list of byPatient.values()) {
    list.sort(
      (a, b) =>
        (a.offsetDays ?? Number.POSITIVE_INFINITY) - (b.offsetDays ?? Number.POSITIVE_INFINITY) ||
        a.sourceId.localeCompare(b.sourceId),
    );
  }
  return new Map(
    labels.map((l) => [
      l.scanId,
      {
        scanId: l.scanId,
        class: l.class,
        source: l.source,
        sourceId: l.sourceId,
        sourcePatient: l.sourcePatient,
        finding: l.finding,
        view: l.scan.view,
        ageGroup: l.ageGroup,
        license: l.license,
        geographicMean: l.geographicMean,
        opacityMean: l.opacityMean,
        patientFilms: l.sourcePatient
          ? (byPatient.get(`${l.source}\u0000${l.sourcePatient}`) ?? [])
          : [{ scanId: l.scanId, class: l.class, sourceId: l.sourceId, offsetDays: l.offsetDays }],
      },
    ]),
  );
}
