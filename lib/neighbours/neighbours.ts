// The k most similar reference scans of a scan: what the clinician compares a film with. Rules that keep the answer
// honest: the scan is never its own neighbour; a patient's own films (by content, even when they also sit in the
// reference library) never count among that patient's neighbours; only labelled reference scans are neighbours;
// only vectors of the active model are compared.
import { z } from "zod";
import { type PublicActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { classMix as countClasses, type ReferenceClass } from "@/lib/domain";
import { requirePatientAccess } from "@/lib/patients/access";
import { modelInUse, type ActiveModel } from "@/lib/scans/active-model";
import { ScanStateError, WITHDRAWN_NOT_ASSESSED } from "@/lib/scans/errors";
import { embeddingOf, reciprocalRanks } from "@/lib/db/vector-sql";
import { libraryStamp } from "@/lib/timeline/library-stamp";
import { answerCache, answerKey } from "./answer-cache";
import { findNeighbours, ownFilmsInLibrary } from "./find";
import { parseNeighbourOptions, type NeighbourOptionsInput } from "./options";
import { thumbnailUrl } from "./thumbnail-url";

export interface Neighbour {
  scanId: string;
  class: ReferenceClass;
  /** 1 - cosine distance: 1 = same direction, 0 = orthogonal. */
  similarity: number;
  /**
   * Share of the reference library (0-1) farther from this neighbour than the scan is: 0.99 = the scan is closer to
   * this film than 99% of the library's films are (docs/drift.md, "Reciprocal percentile"). null for an empty library.
   */
  percentile: number | null;
  thumbnailUrl: string;
}

export type ClassMix = Record<ReferenceClass, number>;

export interface NeighboursResult {
  modelId: string;
  /** Most similar first. */
  neighbours: Neighbour[];
  /** How many of the neighbours fall in each class. */
  mix: ClassMix;
}

export interface NeighboursOfScanOptions extends NeighbourOptionsInput {
  /** Defaults to the active model; scripts and tests that registered the model themselves pass it. */
  model?: ActiveModel;
}

export class ScanNotFoundError extends UserFacingError {
  constructor() {
    super("This scan does not exist.");
    this.name = "ScanNotFoundError";
  }
}

export class NoEmbeddingError extends UserFacingError {
  constructor(modelId: string) {
    super(`This scan has no embedding for the active model (${modelId}), so it cannot be compared yet.`);
    this.name = "NoEmbeddingError";
  }
}

const scanIdSchema = z.uuid();

export function classMix(classes: readonly ReferenceClass[]): ClassMix {
  return countClasses(classes);
}

export async function neighboursOfScan(
  db: Db,
  scanId: string,
  options: NeighboursOfScanOptions,
  ctx: PublicActionContext,
): Promise<NeighboursResult> {
  const { k, classes } = parseNeighbourOptions({ k: options.k, classes: options.classes });
  // A malformed id would make Postgres reject the uuid cast: to the user it is simply an unknown scan.
  if (!scanIdSchema.safeParse(scanId).success) throw new ScanNotFoundError();
  const scan = await db.scan.findUnique({
    where: { id: scanId },
    select: { id: true, patientId: true, sha256: true, withdrawnAt: true },
  });
  if (!scan) throw new ScanNotFoundError();
  await requirePatientAccess(db, ctx.actor, scan.patientId);
  if (scan.withdrawnAt) throw new ScanStateError(WITHDRAWN_NOT_ASSESSED);

  // A read: the model is not registered here (no writes, no index builds); the writers did that.
  const model = options.model ?? (await modelInUse());
  const [stamp, ownSha256] = await Promise.all([libraryStamp(db), ownFilmsInLibrary(db, scan)]);
  const key = answerKey({ modelId: model.id, libraryStamp: stamp, scanId: scan.id, k, classes, ownSha256 });
  let answer = answerCache().get(key);
  if (!answer) {
    const vector = await embeddingOf(db, scan.id, model.id);
    if (!vector) throw new NoEmbeddingError(model.id);
    const rows = (await findNeighbours(db, scan, model, { k, classes, vector, ownSha256 }))!;
    const ranks = await reciprocalRanks(db, {
      modelId: model.id,
      dims: model.dims,
      vector,
      neighbourIds: rows.map((r) => r.scanId),
      excludeScanIds: [scan.id],
    });
    answer = { rows, ranks };
    // Kept only when the library did not change meanwhile: the answer must be the one its key stands for.
    if ((await libraryStamp(db)) === stamp) answerCache().set(key, answer);
  }
  const { rows, ranks } = answer;
  const percentile = new Map(ranks.map((r) => [r.scanId, r.total > 0 ? r.farther / r.total : null]));

  await recordAudit(db, ctx, {
    action: "neighbours.viewed",
    targetType: "scan",
    targetId: scan.id,
    patientId: scan.patientId,
    details: { k, modelId: model.id, returned: rows.length, ...(classes ? { classes } : {}) },
  });

  return {
    modelId: model.id,
    neighbours: rows.map((r) => ({
      scanId: r.scanId,
      class: r.class,
      similarity: 1 - r.distance,
      percentile: percentile.get(r.scanId) ?? null,
      thumbnailUrl: thumbnailUrl(r.scanId),
    })),
    mix: classMix(rows.map((r) => r.class)),
  };
}
