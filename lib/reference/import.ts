// Builds the reference library from a folder in the corpus format: every accepted film is decoded, embedded with
// the active model, its renditions stored, and its scan + label + vector written in one transaction per batch.
// Idempotent: a row already imported (same source and id, or the same bytes) adds nothing, so an interrupted run
// is finished by running it again. A reference scan that lacks a vector of the active model (a new model) gets one.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PublicActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import {
  analyzeVectorTables,
  createModelIndexes,
  dropModelIndexes,
  hasAllModelIndexes,
  insertEmbeddings,
  type ReferenceClass,
} from "@/lib/db/vector-sql";
import { embedImage, embedImages } from "@/lib/embedding";
import { makePreview, makeThumbnail, type DecodedScan } from "@/lib/image";
import { activeModel, type ActiveModel } from "@/lib/scans/active-model";
import { decodeForIngest, scanStore, sha256Of } from "@/lib/scans/ingest";
import type { ScanStore } from "@/lib/storage/scan-store";
import { selectDemoPatients } from "./demo-selection";
import { imagePath, readMetadata, type CorpusRow } from "./metadata";
import {
  countByReason,
  includePediatricFromEnv,
  planImport,
  SKIP_REASONS,
  type PlannedRow,
  type SkippedRow,
  type SkipReason,
} from "./plan";

export interface ImportProgress {
  /** Accepted rows handled so far (imported, already present or skipped on the way). */
  done: number;
  total: number;
  imported: number;
  skipped: number;
}

export type IndexStrategy = "auto" | "keep" | "rebuild";

export interface ImportOptions {
  /** Default: RADTRACK_REFERENCE_INCLUDE_PEDIATRIC. */
  includePediatric?: boolean;
  /** Films per embedding call and per transaction. */
  batchSize?: number;
  store?: ScanStore;
  model?: ActiveModel;
  /**
   * What to do with the model's HNSW indexes (all vectors, and one per class). "auto" drops them and builds them
   * again afterwards when the import adds at least 1,000 vectors and more than the indexes hold (a bulk load into a
   * live graph is several times slower); "keep" never touches them; "rebuild" always drops and rebuilds.
   */
  index?: IndexStrategy;
  onProgress?: (progress: ImportProgress) => void;
  log?: (line: string) => void;
  /** Who asked, for the audit trail; scripts pass nobody. */
  ctx?: PublicActionContext;
}

export interface ImportSummary {
  dir: string;
  modelId: string;
  /** Rows in metadata.csv (including rejected ones). */
  rows: number;
  imported: number;
  byClass: Record<ReferenceClass, number>;
  /** Accepted rows that were already in the library with a vector of this model. */
  alreadyPresent: number;
  /** Already-present reference scans that got their missing vector of this model. */
  vectorsAdded: number;
  skipped: SkippedRow[];
  skippedByReason: { reason: SkipReason; count: number }[];
  includePediatric: boolean;
  index: { dropped: boolean; rebuildSeconds: number | null };
  seconds: number;
}

const BULK_THRESHOLD = 1000;

interface Candidate {
  planned: PlannedRow;
  bytes: Buffer;
  sha256: string;
  /** Set when the library already holds this film but without a vector of the active model. */
  existingScanId?: string;
}

interface Prepared extends Candidate {
  decoded: DecodedScan;
  vector: Float32Array;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sourceKey(source: string, sourceId: string): string {
  return `${source}\u0000${sourceId}`;
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
 * Decodes a batch and embeds it in one call. A film the decoder or the model refuses is skipped, not fatal: if the
 * batch call fails, the films are embedded one by one to find the culprit.
 */
async function prepareBatch(candidates: readonly Candidate[]): Promise<(Prepared | SkippedRow)[]> {
  const decoded = await Promise.all(
    candidates.map(async (c) => {
      try {
        return { c, image: await decodeForIngest(c.bytes) };
      } catch (error) {
        return invalid(c, error);
      }
    }),
  );
  const ok = decoded.filter((d): d is { c: Candidate; image: DecodedScan } => !isSkip(d));
  let vectors: (Float32Array | Error)[];
  try {
    vectors = await embedImages(ok.map((d) => d.image));
  } catch {
    vectors = await Promise.all(
      ok.map((d) => embedImage(d.image).catch((error: unknown) => new Error(errorText(error)))),
    );
  }
  const byCandidate = new Map(ok.map((d, i) => [d.c, { image: d.image, vector: vectors[i]! }]));
  return decoded.map((d) => {
    if (isSkip(d)) return d;
    const done = byCandidate.get(d.c)!;
    return done.vector instanceof Error
      ? invalid(d.c, done.vector)
      : { ...d.c, decoded: done.image, vector: done.vector };
  });
}

function isSkip(value: object): value is SkippedRow {
  return "reason" in value;
}

function labelOf(row: CorpusRow, cls: ReferenceClass) {
  return {
    class: cls,
    geographicMean: row.geographicMean,
    opacityMean: row.opacityMean,
    source: row.source,
    sourceId: row.id,
    sourcePatient: row.patientId || null,
    ageGroup: row.ageGroup,
    finding: row.finding,
    license: row.license,
  };
}

interface PreparedImport {
  corpusDir: string;
  rows: number;
  includePediatric: boolean;
  planSkipped: SkippedRow[];
  accepted: number;
  /** Accepted rows already in the library with a vector of the model. */
  present: number;
  /** Accepted rows still to import (or to give a vector of the model). */
  work: PlannedRow[];
  /** (source, source id) -> scan id of every reference scan. */
  bySource: Map<string, string>;
}

async function prepareImport(
  db: Db,
  dir: string,
  model: ActiveModel,
  includePediatric: boolean,
): Promise<PreparedImport> {
  const corpusDir = path.resolve(dir);
  const metadata = await readMetadata(corpusDir);
  // The same function decides the demo set for seeding, so demo films never end up among the references.
  const { reservedIds } = selectDemoPatients(metadata.rows);
  const plan = planImport(metadata, { includePediatric, reservedIds });
  // Already imported, by (source, source id). Reading all keys once beats a query per batch at library sizes.
  const labels = await db.referenceLabel.findMany({ select: { source: true, sourceId: true, scanId: true } });
  const bySource = new Map(labels.map((l) => [sourceKey(l.source, l.sourceId), l.scanId]));
  const withVector = new Set(
    (
      await db.embedding.findMany({
        where: { modelId: model.id, scan: { origin: "reference" } },
        select: { scanId: true },
      })
    ).map((e) => e.scanId),
  );
  // Rows clearly present need no file read at all: a re-run over an imported library only reads metadata.
  const work: PlannedRow[] = [];
  let present = 0;
  for (const planned of plan.accepted) {
    const scanId = bySource.get(sourceKey(planned.row.source, planned.row.id));
    if (scanId && withVector.has(scanId)) present++;
    else work.push(planned);
  }
  return {
    corpusDir,
    rows: metadata.rows.length + metadata.rejected.length,
    includePediatric,
    planSkipped: plan.skipped,
    accepted: plan.accepted.length,
    present,
    work,
    bySource,
  };
}

/**
 * How many films of the folder the library still lacks (for the active model). Cheap: reads metadata.csv and the
 * label keys, no image. Films that fail to decode stay pending, so a broken corpus shows up here.
 */
export async function pendingReferenceImports(
  db: Db,
  dir: string,
  options: Pick<ImportOptions, "includePediatric" | "model"> = {},
): Promise<{ accepted: number; pending: number }> {
  const model = options.model ?? (await activeModel(db));
  const prepared = await prepareImport(db, dir, model, options.includePediatric ?? includePediatricFromEnv());
  return { accepted: prepared.accepted, pending: prepared.work.length };
}

export async function importReferenceLibrary(db: Db, dir: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const batchSize = options.batchSize ?? 16;
  const store = options.store ?? scanStore();
  const model = options.model ?? (await activeModel(db));
  const includePediatric = options.includePediatric ?? includePediatricFromEnv();
  const { corpusDir, rows, planSkipped, accepted, present, work, bySource } = await prepareImport(
    db,
    dir,
    model,
    includePediatric,
  );
  const skipped: SkippedRow[] = [...planSkipped];
  const progress: ImportProgress = { done: present, total: accepted, imported: 0, skipped: 0 };
  const report = () => options.onProgress?.({ ...progress });
  const byClass: Record<ReferenceClass, number> = { healthy: 0, infected: 0, severe: 0 };
  let alreadyPresent = present;
  let vectorsAdded = 0;
  report();

  const existingVectors = await db.embedding.count({ where: { modelId: model.id } });
  const strategy = options.index ?? "auto";
  const dropIndex =
    strategy === "rebuild" || (strategy === "auto" && work.length >= BULK_THRESHOLD && work.length > existingVectors);
  let dropped = false;
  if (dropIndex) {
    const count = await dropModelIndexes(db, model.id);
    dropped = count > 0;
    if (dropped) log(`dropped ${count} HNSW indexes of ${model.id} for the bulk load (${work.length} films to add)`);
  }

  const seenSha = new Map<string, string>();
  let rebuildSeconds: number | null = null;
  try {
    for (const batch of chunk(work, batchSize)) {
      const read = await Promise.all(batch.map((planned) => readCandidate(corpusDir, planned)));
      const candidates: Candidate[] = [];
      for (const item of read) {
        if (isSkip(item)) skipped.push(item);
        else candidates.push(item);
      }
      // Same bytes as a reference scan already stored (under another id) or as an earlier row of this run.
      const shas = candidates.map((c) => c.sha256);
      const stored = new Map(
        (
          await db.scan.findMany({
            where: { origin: "reference", sha256: { in: shas } },
            select: { id: true, sha256: true, reference: { select: { source: true, sourceId: true } } },
          })
        ).map((s) => [s.sha256, s]),
      );
      const fresh: Candidate[] = [];
      for (const c of candidates) {
        const { row } = c.planned;
        const own = bySource.get(sourceKey(row.source, row.id));
        const same = stored.get(c.sha256);
        if (own) {
          // Present, but without a vector of this model (checked above).
          fresh.push({ ...c, existingScanId: own });
        } else if (same) {
          const other = same.reference?.sourceId ?? same.id;
          skipped.push({ id: row.id, line: row.line, reason: SKIP_REASONS.duplicateImage, detail: other });
        } else if (seenSha.has(c.sha256)) {
          skipped.push({
            id: row.id,
            line: row.line,
            reason: SKIP_REASONS.duplicateImage,
            detail: seenSha.get(c.sha256),
          });
        } else {
          seenSha.set(c.sha256, row.id);
          fresh.push(c);
        }
      }

      const prepared: Prepared[] = [];
      for (const item of await prepareBatch(fresh)) {
        if (isSkip(item)) skipped.push(item);
        else prepared.push(item);
      }
      const added = await writeBatch(db, store, model, prepared, options.ctx);
      for (const p of added.newRows) byClass[p.planned.class]++;
      progress.imported += added.newRows.length;
      vectorsAdded += added.backfilled;
      alreadyPresent += added.backfilled;
      progress.done += batch.length;
      progress.skipped = skipped.length - planSkipped.length;
      report();
    }
  } finally {
    if (dropped || !(await hasAllModelIndexes(db, model.id))) {
      const t0 = performance.now();
      log(`building the HNSW indexes of ${model.id}...`);
      const built = await createModelIndexes(db, model);
      rebuildSeconds = (performance.now() - t0) / 1000;
      log(`${built} HNSW indexes built in ${rebuildSeconds.toFixed(1)} s`);
    }
  }
  // Fresh statistics let the planner choose between the index and an exact scan (PGlite runs no autovacuum).
  if (progress.imported + vectorsAdded > 0) await analyzeVectorTables(db);

  const summary: ImportSummary = {
    dir: corpusDir,
    modelId: model.id,
    rows,
    imported: progress.imported,
    byClass,
    alreadyPresent,
    vectorsAdded,
    skipped,
    skippedByReason: countByReason(skipped),
    includePediatric,
    index: { dropped, rebuildSeconds },
    seconds: (performance.now() - started) / 1000,
  };
  await recordAudit(db, {
    action: "reference.imported",
    actorId: options.ctx?.actor?.id ?? null,
    actorEmail: options.ctx?.actor?.email ?? null,
    ip: options.ctx?.ip ?? null,
    details: {
      folder: path.basename(corpusDir),
      modelId: model.id,
      rows: summary.rows,
      imported: summary.imported,
      byClass,
      alreadyPresent,
      vectorsAdded,
      skipped: skipped.length,
      skippedByReason: Object.fromEntries(summary.skippedByReason.map((r) => [r.reason, r.count])),
      includePediatric,
      seconds: Math.round(summary.seconds * 10) / 10,
    },
  });
  return summary;
}

/**
 * Stores the renditions, then writes scans, labels and vectors of one batch in one transaction. If the transaction
 * fails, the folders this batch created (and no other scan uses) are removed again.
 */
async function writeBatch(
  db: Db,
  store: ScanStore,
  model: ActiveModel,
  prepared: readonly Prepared[],
  ctx: PublicActionContext | undefined,
): Promise<{ newRows: Prepared[]; backfilled: number }> {
  const newRows = prepared.filter((p) => !p.existingScanId);
  const backfill = prepared.filter((p) => p.existingScanId);
  if (prepared.length === 0) return { newRows: [], backfilled: 0 };
  const files = await Promise.all(
    newRows.map(async (p) => {
      const [preview, thumbnail] = await Promise.all([makePreview(p.decoded), makeThumbnail(p.decoded)]);
      return store.put(p.sha256, { original: p.bytes, preview, thumbnail });
    }),
  );
  const ids = newRows.map(() => randomUUID());
  try {
    await db.$transaction(
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
              width: p.decoded.width,
              height: p.decoded.height,
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
