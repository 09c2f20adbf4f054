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
