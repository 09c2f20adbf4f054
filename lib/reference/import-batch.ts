// One batch of the reference import, in the two halves of the ingest pipeline (lib/scans/pipeline.ts), which the
// import overlaps across batches:
//   prepare: read the files, look up (drop duplicates), then the pipeline's decode, embed and gate - nothing is
//            written yet;
//   write:   the pipeline's store and record: scans, labels and vectors in one transaction.
// A film refused on the way (unreadable, not an image, a duplicate) becomes a skipped row; a failed write removes
// the files it added and throws.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { PublicActionContext } from "@/lib/actions/define-action";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { insertEmbeddings } from "@/lib/db/vector-sql";
import type { ReferenceClass } from "@/lib/domain";
import type { ActiveModel } from "@/lib/scans/active-model";
import {
  prepareFilms,
  sha256Of,
  stepTimer,
  writeFilms,
  type FilmIn,
  type PreparedFilm,
  type StepTimings,
  type StoredFilm,
} from "@/lib/scans/pipeline";
import type { ScanStore } from "@/lib/storage/scan-store";
import { imagePath, type CorpusRow } from "./metadata";
import { SKIP_REASONS, type PlannedRow, type SkippedRow } from "./plan";

/** Milliseconds each step kept busy, summed over batches (steps of different batches overlap). */
export type ImportTimings = StepTimings;

/** A corpus film through the pipeline: `meta` is its planned row. */
type Candidate = FilmIn<PlannedRow>;

export type ReferenceFilm = PreparedFilm<PlannedRow>;

export interface PreparedBatch {
  films: ReferenceFilm[];
  skipped: SkippedRow[];
}

/** What the batches of one run share: the library's keys, and the bytes seen so far in this run. */
export interface BatchContext {
  db: Db;
  corpusDir: string;
  /** (source, source id) -> scan id of every reference scan. */
  bySource: ReadonlyMap<string, string>;
  /** sha256 -> id of the row of this run that brought those bytes first. */
  seenSha: Map<string, string>;
  /**
   * Settles once the batch started last has claimed its bytes in seenSha. Batches claim in the order they started,
   * so of two rows with the same bytes the earlier one is kept, however the batches in flight interleave.
   */
  claimed: Promise<void>;
  timings?: ImportTimings;
}

export function sourceKey(source: string, sourceId: string): string {
  return `${source}\u0000${sourceId}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isSkip(value: object): value is SkippedRow {
  return "reason" in value;
}

/** The corpus is this import's image source: one file per planned row. */
async function readCandidate(
  dir: string,
  planned: PlannedRow,
  timings: ImportTimings | undefined,
): Promise<Candidate | SkippedRow> {
  const { row } = planned;
  try {
    const bytes = await readFile(imagePath(dir, row.id));
    return { meta: planned, bytes, sha256: sha256Of(bytes, timings) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      id: row.id,
      line: row.line,
      reason: SKIP_REASONS.missingFile,
      detail: code === "ENOENT" ? `${row.id}.jpg not found` : errorText(error),
    };
  }
}

/**
 * Look up: keeps the films still to import. A row already in the library (by source and id) comes back to get its
 * missing vector; the same bytes as a stored reference scan or as an earlier row of this run are a duplicate.
 */
async function dropDuplicates(
  ctx: BatchContext,
  candidates: readonly Candidate[],
  skipped: SkippedRow[],
  earlierClaimed: Promise<void>,
) {
  const stored = new Map(
    (
      await ctx.db.scan.findMany({
        where: { origin: "reference", sha256: { in: candidates.map((c) => c.sha256) } },
        select: { id: true, sha256: true, reference: { select: { source: true, sourceId: true } } },
      })
    ).map((s) => [s.sha256, s]),
  );
  await earlierClaimed;
  // Synchronous from here: two batches in flight cannot both claim the same bytes.
  const fresh: Candidate[] = [];
  for (const c of candidates) {
    const { row } = c.meta;
    const own = ctx.bySource.get(sourceKey(row.source, row.id));
    const same = stored.get(c.sha256);
    if (own) {
      fresh.push({ ...c, existingScanId: own });
    } else if (same) {
      const other = same.reference?.sourceId ?? same.id;
      skipped.push({ id: row.id, line: row.line, reason: SKIP_REASONS.duplicateImage, detail: other });
    } else if (ctx.seenSha.has(c.sha256)) {
      skipped.push({
        id: row.id,
        line: row.line,
        reason: SKIP_REASONS.duplicateImage,
        detail: ctx.seenSha.get(c.sha256),
      });
    } else {
      ctx.seenSha.set(c.sha256, row.id);
      fresh.push(c);
    }
  }
  return fresh;
}

/** Reads, looks up, decodes, embeds and renders one batch. Writes nothing. */
export async function prepareBatch(ctx: BatchContext, batch: readonly PlannedRow[]): Promise<PreparedBatch> {
  const time = stepTimer(ctx.timings);
  // Taken before the first await, so the claiming order is the order prepareBatch was called in.
  const earlierClaimed = ctx.claimed;
  let claimDone!: () => void;
  ctx.claimed = new Promise((resolve) => (claimDone = resolve));
  const skipped: SkippedRow[] = [];
  let fresh: Candidate[];
  try {
    const read = await time("read", () =>
      Promise.all(batch.map((planned) => readCandidate(ctx.corpusDir, planned, ctx.timings))),
    );
    const candidates: Candidate[] = [];
    for (const item of read) {
      if (isSkip(item)) skipped.push(item);
      else candidates.push(item);
    }
    fresh = await time("lookup", () => dropDuplicates(ctx, candidates, skipped, earlierClaimed));
  } finally {
    claimDone();
  }

  // The reference library holds frontal films only: the gate refuses the others as it would an upload.
  const prepared = await prepareFilms(fresh, { timings: ctx.timings, frontalGate: {} });
  for (const { index, error } of prepared.refused) {
    const { row } = fresh[index]!.meta;
    skipped.push({ id: row.id, line: row.line, reason: SKIP_REASONS.invalidImage, detail: errorText(error) });
  }
  return { films: prepared.films, skipped };
}

function labelOf(row: CorpusRow, cls: ReferenceClass) {
  return {
    class: cls,
    geographicMean: row.geographicMean,
    opacityMean: row.opacityMean,
    source: row.source,
    sourceId: row.id,
    sourcePatient: row.patientId || null,
    offsetDays: row.offsetDays,
    ageGroup: row.ageGroup,
    finding: row.finding,
    license: row.license,
  };
}

/** Record: scans and labels of the new films, vectors of all (a backfill gets its vector only). */
async function recordReferences(
  tx: Prisma.TransactionClient,
  films: readonly StoredFilm<PlannedRow>[],
  model: ActiveModel,
  ctx: PublicActionContext | undefined,
): Promise<string[]> {
  const ids = films.map((f) => f.existingScanId ?? randomUUID());
  const newRows = films.flatMap((f, i) => (f.existingScanId ? [] : [{ f, id: ids[i]! }]));
  if (newRows.length > 0) {
    await tx.scan.createMany({
      data: newRows.map(({ f, id }) => ({
        id,
        patientId: null,
        acquiredAt: null,
        view: f.meta.row.view,
        sha256: f.sha256,
        storageKey: f.storageKey!,
        width: f.image.width,
        height: f.image.height,
        origin: "reference" as const,
        uploadedBy: ctx?.actor?.id ?? null,
      })),
    });
    await tx.referenceLabel.createMany({
      data: newRows.map(({ f, id }) => ({ scanId: id, ...labelOf(f.meta.row, f.meta.class) })),
    });
  }
  await insertEmbeddings(
    tx,
    model,
    films.map((f, i) => ({ scanId: ids[i]!, vector: f.vector, extent: f.extent })),
  );
  return ids;
}

/**
 * Stores the renditions, then writes scans, labels and vectors of one batch in one transaction. If the transaction
 * fails, the files this batch created (and no other scan uses) are removed again and the error is thrown.
 */
export async function writeBatch(
  db: Db,
  store: ScanStore,
  model: ActiveModel,
  films: readonly ReferenceFilm[],
  ctx: PublicActionContext | undefined,
  timings?: ImportTimings,
): Promise<{ newRows: ReferenceFilm[]; backfilled: number }> {
  await writeFilms(films, {
    db,
    store,
    record: (tx, stored) => recordReferences(tx, stored, model, ctx),
    onBatchFailure: "throw",
    timings,
  });
  const newRows = films.filter((f) => !f.existingScanId);
  return { newRows, backfilled: films.length - newRows.length };
}
