// One batch of the reference import, in two halves that the pipeline overlaps across batches:
//   prepare: read the files, drop duplicates, decode, then embed while the renditions are encoded (sharp works on
//            libuv threads, so its encoding overlaps inference) - nothing is written yet;
//   write:   store the renditions and record scans, labels and vectors in one transaction.
// A film refused on the way (unreadable, not an image, a duplicate) becomes a skipped row; a failed write removes
// the files it added and throws.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { PublicActionContext } from "@/lib/actions/define-action";
import type { Db } from "@/lib/db/client";
import { insertEmbeddings } from "@/lib/db/vector-sql";
import type { ReferenceClass } from "@/lib/domain";
import { embedImage, embedImages } from "@/lib/embedding";
import { makePreview, makeThumbnail, type DecodedScan } from "@/lib/image";
import type { ActiveModel } from "@/lib/scans/active-model";
import { decodeForIngest, sha256Of } from "@/lib/scans/ingest";
import type { ScanStore } from "@/lib/storage/scan-store";
import { imagePath, type CorpusRow } from "./metadata";
import { SKIP_REASONS, type PlannedRow, type SkippedRow } from "./plan";

/** Milliseconds each step kept busy, summed over batches (steps of different batches overlap). */
export type ImportTimings = Record<string, number>;

interface Candidate {
  planned: PlannedRow;
  bytes: Buffer;
  sha256: string;
  /** Set when the library already holds this film but without a vector of the active model. */
  existingScanId?: string;
}

/** A film ready to be written. The decoded pixels are dropped once embedded and rendered. */
export interface PreparedFilm extends Candidate {
  width: number;
  height: number;
  vector: Float32Array;
  /** Absent for a backfill (the film's files are stored already). */
  renditions?: { preview: Buffer; thumbnail: Buffer };
}

export interface PreparedBatch {
  films: PreparedFilm[];
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

async function timed<T>(timings: ImportTimings | undefined, step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    if (timings) timings[step] = (timings[step] ?? 0) + performance.now() - started;
  }
}

async function readCandidate(dir: string, planned: PlannedRow): Promise<Candidate | SkippedRow> {
  const { row } = planned;
  try {
    const bytes = await readFile(imagePath(dir, row.id));
    return { planned, bytes, sha256: sha256Of(bytes) };
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

function invalid(candidate: Candidate, error: unknown): SkippedRow {
  const { row } = candidate.planned;
  return { id: row.id, line: row.line, reason: SKIP_REASONS.invalidImage, detail: errorText(error) };
}

/**
 * Keeps the films still to import: a row already in the library (by source and id) comes back to get its missing
 * vector; the same bytes as a stored reference scan or as an earlier row of this run are a duplicate.
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
    const { row } = c.planned;
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

/** One embedding call for the batch; if the session refuses it, each film alone, to find the culprit. */
async function embedAll(images: readonly DecodedScan[]): Promise<(Float32Array | Error)[]> {
  try {
    return await embedImages(images);
  } catch {
    return Promise.all(images.map((image) => embedImage(image).catch((error: unknown) => new Error(errorText(error)))));
  }
}

/** Reads, checks, decodes, embeds and renders one batch. Writes nothing. */
export async function prepareBatch(ctx: BatchContext, batch: readonly PlannedRow[]): Promise<PreparedBatch> {
  // Taken before the first await, so the claiming order is the order prepareBatch was called in.
  const earlierClaimed = ctx.claimed;
  let claimDone!: () => void;
  ctx.claimed = new Promise((resolve) => (claimDone = resolve));
  const skipped: SkippedRow[] = [];
  let fresh: Candidate[];
  try {
    const read = await timed(ctx.timings, "read", () =>
      Promise.all(batch.map((planned) => readCandidate(ctx.corpusDir, planned))),
    );
    const candidates: Candidate[] = [];
    for (const item of read) {
      if (isSkip(item)) skipped.push(item);
      else candidates.push(item);
    }
    fresh = await timed(ctx.timings, "lookup", () => dropDuplicates(ctx, candidates, skipped, earlierClaimed));
  } finally {
    claimDone();
  }

  const decoded = await timed(ctx.timings, "decode", () =>
    Promise.all(
      fresh.map(async (c) => {
        try {
          return { c, image: await decodeForIngest(c.bytes) };
        } catch (error) {
          return invalid(c, error);
        }
      }),
    ),
  );
  const ok = decoded.filter((d): d is { c: Candidate; image: DecodedScan } => !isSkip(d));
  const [vectors, renditions] = await Promise.all([
    timed(ctx.timings, "embed", () => embedAll(ok.map((d) => d.image))),
    timed(ctx.timings, "renditions", () =>
      Promise.all(
        ok.map(async ({ c, image }) => {
          if (c.existingScanId) return undefined;
          const [preview, thumbnail] = await Promise.all([makePreview(image), makeThumbnail(image)]);
          return { preview, thumbnail };
        }),
      ),
    ),
  ]);

  const films: PreparedFilm[] = [];
  const done = new Map(ok.map((d, i) => [d.c, i]));
  for (const d of decoded) {
    if (isSkip(d)) {
      skipped.push(d);
      continue;
    }
    const i = done.get(d.c)!;
    const vector = vectors[i]!;
    if (vector instanceof Error) skipped.push(invalid(d.c, vector));
    else films.push({ ...d.c, width: d.image.width, height: d.image.height, vector, renditions: renditions[i] });
  }
  return { films, skipped };
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

/**
 * Stores the renditions, then writes scans, labels and vectors of one batch in one transaction. If the transaction
 * fails, the folders this batch created (and no other scan uses) are removed again.
 */
export async function writeBatch(
  db: Db,
  store: ScanStore,
  model: ActiveModel,
  films: readonly PreparedFilm[],
  ctx: PublicActionContext | undefined,
  timings?: ImportTimings,
): Promise<{ newRows: PreparedFilm[]; backfilled: number }> {
  const newRows = films.filter((p) => !p.existingScanId);
  const backfill = films.filter((p) => p.existingScanId);
  if (films.length === 0) return { newRows: [], backfilled: 0 };
  const files = await timed(timings, "store", () =>
    Promise.all(
      newRows.map((p) =>
        store.put(p.sha256, { original: p.bytes, preview: p.renditions!.preview, thumbnail: p.renditions!.thumbnail }),
      ),
    ),
  );
  const ids = newRows.map(() => randomUUID());
  try {
    await timed(timings, "database", () =>
      db.$transaction(
        async (tx) => {
          if (newRows.length > 0) {
            await tx.scan.createMany({
              data: newRows.map((p, i) => ({
                id: ids[i]!,
                patientId: null,
                acquiredAt: null,
                view: p.planned.row.view,
                sha256: p.sha256,
                storageKey: files[i]!.key,
                width: p.width,
                height: p.height,
                origin: "reference" as const,
                uploadedBy: ctx?.actor?.id ?? null,
              })),
            });
            await tx.referenceLabel.createMany({
              data: newRows.map((p, i) => ({ scanId: ids[i]!, ...labelOf(p.planned.row, p.planned.class) })),
            });
          }
          await insertEmbeddings(tx, model, [
            ...newRows.map((p, i) => ({ scanId: ids[i]!, vector: p.vector })),
            ...backfill.map((p) => ({ scanId: p.existingScanId!, vector: p.vector })),
          ]);
        },
        { timeout: 120_000, maxWait: 60_000 },
      ),
    );
  } catch (error) {
    for (const file of files) {
      if (file.created && !(await db.scan.findFirst({ where: { storageKey: file.key }, select: { id: true } }))) {
        await store.remove(file.key);
      }
    }
    throw error;
  }
  return { newRows, backfilled: backfill.length };
}
