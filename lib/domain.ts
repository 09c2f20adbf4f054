// The facts of the domain that several layers must agree on: the reference classes and what each is worth, the
// views a film may be filed under, and how many neighbours place a scan. Pages, schemas, SQL and evaluation import
// them from here, so a change happens in one place. No Node imports: client components use this module too.

/** The labels of the reference library, mild to severe (also the Postgres enum "ReferenceClass"). */
export const REFERENCE_CLASSES = ["healthy", "infected", "severe"] as const;
export type ReferenceClass = (typeof REFERENCE_CLASSES)[number];

/** A class's place on the severity scale: the severity index is the similarity-weighted mean of these. */
export const CLASS_VALUE: Record<ReferenceClass, number> = { healthy: 0, infected: 0.5, severe: 1 };

export function isReferenceClass(value: string): value is ReferenceClass {
  return (REFERENCE_CLASSES as readonly string[]).includes(value);
}

/** How many of each class: a neighbour list's mix, a library's or a corpus's make-up. */
export function classMix(classes: Iterable<ReferenceClass> = []): Record<ReferenceClass, number> {
  const mix = { healthy: 0, infected: 0, severe: 0 };
  for (const c of classes) mix[c]++;
  return mix;
}

/** Projections a film may be filed under (DICOM ViewPosition values and the rest). */
export const SCAN_VIEWS = ["PA", "AP", "AP Supine", "LL", "Other"] as const;
export type ScanView = (typeof SCAN_VIEWS)[number];

/** Neighbours that place a scan: the reading view, the timeline's severity index and the evaluation all use 36. */
export const NEIGHBOUR_K = 36;
