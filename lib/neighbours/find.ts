// The neighbour search itself, with no audit side effect: shared by what users open (neighboursOfScan, which
// records the view) and by background computations (severity assessments of every scan).
import type { Db } from "@/lib/db/client";
import { embeddingOf, nearestReferences, type NeighbourRow } from "@/lib/db/vector-sql";
import type { ReferenceClass } from "@/lib/domain";
import type { ActiveModel } from "@/lib/scans/active-model";

export interface ScanRef {
  id: string;
  patientId: string | null;
  sha256: string;
}

/**
 * The content hashes a scan's neighbours must not have: its own and its patient's other films (content, not ids: a
 * patient's film may also have been imported into the reference library, same bytes).
 */
export async function ownFilmHashes(db: Db, scan: ScanRef): Promise<string[]> {
  const own = scan.patientId
    ? (
        await db.scan.findMany({ where: { patientId: scan.patientId, withdrawnAt: null }, select: { sha256: true } })
      ).map((s) => s.sha256)
    : [];
  return [...new Set([scan.sha256, ...own])];
}

/**
 * The same exclusion, narrowed to what can change an answer: the scan's own hash and those of its patient's films
 * that are also reference films (only reference films are candidates, so excluding any other hash changes nothing).
 * Usually just the scan's own hash, so it keys a cached answer that another upload to the patient leaves valid.
 */
export async function ownFilmsInLibrary(db: Db, scan: ScanRef): Promise<string[]> {
  if (!scan.patientId) return [scan.sha256];
  const rows = await db.$queryRaw<{ sha256: string }[]>`
    SELECT DISTINCT r."sha256" FROM "scans" r JOIN "reference_labels" l ON l."scan_id" = r."id"
    WHERE r."sha256" IN (
      SELECT s."sha256" FROM "scans" s WHERE s."patient_id" = ${scan.patientId}::uuid AND s."withdrawn_at" IS NULL)`;
  return [...new Set([scan.sha256, ...rows.map((r) => r.sha256)])];
}

/**
 * null when the scan has no vector of this model yet (it must be re-embedded first). A caller that already read the
 * vector or the own films' hashes passes them.
 */
export async function findNeighbours(
  db: Db,
  scan: ScanRef,
  model: ActiveModel,
  options: { k: number; classes?: ReferenceClass[]; vector?: Float32Array; ownSha256?: string[] },
): Promise<NeighbourRow[] | null> {
  const vector = options.vector ?? (await embeddingOf(db, scan.id, model.id));
  if (!vector) return null;
  return nearestReferences(db, {
    modelId: model.id,
    dims: model.dims,
    vector,
    k: options.k,
    classes: options.classes,
    excludeScanIds: [scan.id],
    excludeSha256: options.ownSha256 ?? (await ownFilmHashes(db, scan)),
  });
}
