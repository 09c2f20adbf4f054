// Builds the reference library from a folder in the corpus format: every accepted film is decoded, embedded with
// the active model, its renditions stored, and its scan + label + vector written in one transaction per batch.
// Idempotent: a row already imported (same source and id, or the same bytes) adds nothing, so an interrupted run
// is finished by running it again. A reference scan that lacks a vector of the active model (a new model) gets one.
import path from "node:path";
import type { PublicActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import { includePediatricFromEnv } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { analyzeVectorTables, createModelIndexes, dropModelIndexes, hasAllModelIndexes } from "@/lib/db/vector-sql";
import { classMix, type ReferenceClass } from "@/lib/domain";
import { activeModel, type ActiveModel } from "@/lib/scans/active-model";
import { scanStore } from "@/lib/storage";
import type { ScanStore } from "@/lib/storage/scan-store";
import { selectDemoPatients } from "./demo-selection";
import { prepareBatch, sourceKey, writeBatch, type BatchContext, type ImportTimings } from "./import-batch";
import { readMetadata } from "./metadata";
import { countByReason, planImport, type PlannedRow, type SkippedRow, type SkipReason } from "./plan";
import { runPipeline } from "./pipeline";

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
  /** Batches prepared at once while the previous one is written; 1 = one step after the other. */
  pipelineDepth?: number;
  /** Milliseconds each step kept busy are added here (benchmarks); steps of different batches overlap. */
  timings?: ImportTimings;
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

/**
 * Batches prepared at once (read, decoded, embedded) while the previous one is written. Each holds up to batchSize
 * decoded films until they are embedded and rendered, so this times batchSize bounds the pixels in memory.
 */
const PIPELINE_DEPTH = 2;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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
  const byClass = classMix();
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

  const batchContext: BatchContext = {
    db,
    corpusDir,
    bySource,
    seenSha: new Map(),
    claimed: Promise.resolve(),
    timings: options.timings,
  };
  let rebuildSeconds: number | null = null;
  try {
    await runPipeline(chunk(work, batchSize), {
      depth: options.pipelineDepth ?? PIPELINE_DEPTH,
      prepare: (batch) => prepareBatch(batchContext, batch),
      consume: async (prepared, batch) => {
        skipped.push(...prepared.skipped);
        const added = await writeBatch(db, store, model, prepared.films, options.ctx, options.timings);
        for (const p of added.newRows) byClass[p.meta.class]++;
        progress.imported += added.newRows.length;
        vectorsAdded += added.backfilled;
        alreadyPresent += added.backfilled;
        progress.done += batch.length;
        progress.skipped = skipped.length - planSkipped.length;
        report();
      },
    });
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
  await recordAudit(db, options.ctx, {
    action: "reference.imported",
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
