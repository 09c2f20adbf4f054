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

/** null when the scan has no vector of this model yet (it must be re-embedded first). */
export async function findNeighbours(
  db: Db,
  scan: ScanRef,
  model: ActiveModel,
  options: { k: number; classes?: ReferenceClass[] },
): Promise<NeighbourRow[] | null> {
  const vector = await embeddingOf(db, scan.id, model.id);
  if (!vector) return null;
  // Content, not ids: a patient's film may also have been imported into the reference library (same bytes).
  const ownSha = scan.patientId
    ? (
        await db.scan.findMany({ where: { patientId: scan.patientId, withdrawnAt: null }, select: { sha256: true } })
      ).map((s) => s.sha256)
    : [];
  return nearestReferences(db, {
    modelId: model.id,
    dims: model.dims,
    vector,
    k: options.k,
    classes: options.classes,
    excludeScanIds: [scan.id],
    excludeSha256: [...new Set([scan.sha256, ...ownSha])],
  });
}
