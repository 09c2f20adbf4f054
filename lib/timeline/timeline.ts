// A patient's scans with where each one sits (severity index, region, class mix) and the course they make. Stored
// assessments are reused while their model and reference library are current, recomputed otherwise, so a model
// upgrade or a library import never leaves old values on a new curve.
import type { Db } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";
import { NEIGHBOUR_K, type ReferenceClass } from "@/lib/domain";
import { scaleOf, type SeverityScale } from "@/lib/drift/scale";
import { assessScan, type Region } from "@/lib/drift/severity";
import { driftPolicyFromEnv } from "@/lib/config";
import { patientDrift, type PatientDrift } from "@/lib/drift/trend";
import { findNeighbours } from "@/lib/neighbours/find";
import { acquisitionInstant } from "@/lib/scans/acquisition-date";
import { activeModel, type ActiveModel } from "@/lib/scans/active-model";
import { libraryStamp } from "./library-stamp";

/**
 * The order of a patient's films everywhere (timeline, chart, API): by day, then time of day (films without a time
 * first), then upload. The chart and the drift trend rely on it.
 */
export const TIMELINE_ORDER: Prisma.ScanOrderByWithRelationInput[] = [
  { acquiredAt: { sort: "asc", nulls: "last" } },
  { acquiredTime: { sort: "asc", nulls: "first" } },
  { createdAt: "asc" },
  { id: "asc" },
];

export interface TimelineScan {
  scanId: string;
  /** The day and, when known, the time of day the film was taken. */
  acquiredAt: Date;
  /** Whether the time of day was recorded (else acquiredAt is the day's midnight, or the upload time if undated). */
  timed: boolean;
  view: string | null;
  /**
   * The model's own extent estimate (0-8) with its interval, stored with the vector: it needs no reference library.
   * null for a model without an extent head, or a scan not yet embedded by the active model.
   */
  extent: { value: number; lo: number; hi: number } | null;
  /** Where the neighbours put it; null when the scan has no vector of the active model yet, or the library is empty. */
  assessment: {
    /** Neighbours' severity index, 0-1 (kept beside the calibrated extent as the class-mix view). */
    index: number;
    region: Region;
    mix: Record<ReferenceClass, number>;
    k: number;
  } | null;
}

export interface PatientTimeline {
  modelId: string;
  /** The scale the course is drawn and judged on (extent 0-8 when the model has an extent head). */
  scale: SeverityScale;
  scans: TimelineScan[];
  drift: PatientDrift;
}

interface Context {
  model: ActiveModel;
  stamp: string;
}

async function context(db: Db): Promise<Context> {
  return { model: await activeModel(db), stamp: await libraryStamp(db) };
}

export async function patientTimeline(db: Db, patientId: string, ctx?: Context): Promise<PatientTimeline> {
  const { model, stamp } = ctx ?? (await context(db));
  const scans = await db.scan.findMany({
    where: { patientId },
    orderBy: TIMELINE_ORDER,
    select: {
      id: true,
      patientId: true,
      sha256: true,
      acquiredAt: true,
      acquiredTime: true,
      createdAt: true,
      view: true,
    },
  });
  const stored = await db.scanAssessment.findMany({
    where: { scanId: { in: scans.map((s) => s.id) }, modelId: model.id, libraryStamp: stamp },
  });
  const byScan = new Map(stored.map((a) => [a.scanId, a]));
  const extents = new Map(
    (
      await db.embedding.findMany({
        where: { scanId: { in: scans.map((s) => s.id) }, modelId: model.id, extent: { not: null } },
        select: { scanId: true, extent: true, extentLo: true, extentHi: true },
      })
    ).map((e) => [e.scanId, { value: e.extent!, lo: e.extentLo ?? e.extent!, hi: e.extentHi ?? e.extent! }]),
  );
  const out: TimelineScan[] = [];
  for (const scan of scans) {
    const acquiredAt = scan.acquiredAt ? acquisitionInstant(scan.acquiredAt, scan.acquiredTime) : scan.createdAt;
    const timed = scan.acquiredAt !== null && scan.acquiredTime !== null;
    const extent = extents.get(scan.id) ?? null;
    const cached = byScan.get(scan.id);
    if (cached) {
      out.push({
        scanId: scan.id,
        acquiredAt,
        timed,
        view: scan.view,
        extent,
        assessment: {
          index: cached.severityIndex,
          region: cached.region,
          mix: cached.mix as Record<ReferenceClass, number>,
          k: cached.k,
        },
      });
      continue;
    }
    const rows = await findNeighbours(db, scan, model, { k: NEIGHBOUR_K });
    if (!rows || rows.length === 0) {
      out.push({ scanId: scan.id, acquiredAt, timed, view: scan.view, extent, assessment: null });
      continue;
    }
    const assessment = assessScan(rows.map((r) => ({ class: r.class, similarity: 1 - r.distance })));
    const data = {
      libraryStamp: stamp,
      k: assessment.k,
      severityIndex: assessment.index,
      region: assessment.region,
      mix: assessment.mix as Prisma.InputJsonObject,
      computedAt: new Date(),
    };
    await db.scanAssessment.upsert({
      where: { scanId_modelId: { scanId: scan.id, modelId: model.id } },
      create: { scanId: scan.id, modelId: model.id, ...data },
      update: data,
    });
    out.push({ scanId: scan.id, acquiredAt, timed, view: scan.view, extent, assessment });
  }
  const scale = scaleOf(model);
  // On the extent scale a scan whose vector predates the extent head (no estimate yet) is left off the course
  // rather than mixed in on another scale; the re-embedding job fills it in.
  const drift = patientDrift(
    out.flatMap((s) => {
      const base = { scanId: s.scanId, acquiredAt: s.acquiredAt, modelId: model.id };
      if (scale.id === "index") return s.assessment ? [{ ...base, index: s.assessment.index }] : [];
      return s.extent ? [{ ...base, index: s.extent.value, lo: s.extent.lo, hi: s.extent.hi }] : [];
    }),
    model.id,
    driftPolicyFromEnv(),
    scale,
  );
  await storeSummary(db, patientId, model.id, stamp, out, drift, scale);
  return { modelId: model.id, scale, scans: out, drift };
}

async function storeSummary(
  db: Db,
  patientId: string,
  modelId: string,
  stamp: string,
  scans: TimelineScan[],
  drift: PatientDrift,
  scale: SeverityScale,
): Promise<void> {
  const lastAlert = drift.alerts.at(-1);
  const data = {
    modelId,
    libraryStamp: stamp,
    scanCount: scans.length,
    lastScanAt: scans.at(-1)?.acquiredAt ?? null,
    latestIndex: drift.latest?.index ?? null,
    latestRegion: drift.latest?.region ?? null,
    latestExtent: scale.id === "extent" ? (drift.latest?.index ?? null) : null,
    slopePerWeek: drift.slopePerWeek,
    status: drift.status,
    alertCount: drift.alerts.length,
    latestAlert: Boolean(lastAlert && lastAlert.scanId === drift.latest?.scanId),
    computedAt: new Date(),
  };
  await db.patientSummary.upsert({ where: { patientId }, create: { patientId, ...data }, update: data });
}

/**
 * Patients whose summary is out of date: none yet, another model or library state, or a scan with a vector of the
 * active model but no assessment for it (a new upload, a bulk job, the end of a re-embedding).
 */
function staleCondition(ctx: Context): Prisma.Sql {
  return Prisma.sql`
    ps."patient_id" IS NULL
    OR ps."model_id" <> ${ctx.model.id}
    OR ps."library_stamp" <> ${ctx.stamp}
    OR (EXISTS (SELECT 1 FROM "reference_labels") AND EXISTS (
      SELECT 1 FROM "scans" s
      JOIN "embeddings" e ON e."scan_id" = s."id" AND e."model_id" = ${ctx.model.id}
      LEFT JOIN "scan_assessments" a
        ON a."scan_id" = s."id" AND a."model_id" = ${ctx.model.id} AND a."library_stamp" = ${ctx.stamp}
      WHERE s."patient_id" = p."id" AND a."scan_id" IS NULL))`;
}

async function stalePatients(db: Db, ctx: Context, limit: number): Promise<string[]> {
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT p."id" FROM "patients" p LEFT JOIN "patient_summaries" ps ON ps."patient_id" = p."id"
    WHERE ${staleCondition(ctx)}
    ORDER BY p."id"
    LIMIT ${limit}`;
  return rows.map((r) => r.id);
}

/** How many patients' drift is out of date (the admin status page). */
export async function countStaleSummaries(db: Db): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM "patients" p LEFT JOIN "patient_summaries" ps ON ps."patient_id" = p."id"
    WHERE ${staleCondition(await context(db))}`;
  return Number(rows[0]?.n ?? 0);
}

/**
 * Brings every patient's summary up to date with the active model, the reference library and the patient's scans,
 * `batch` patients at a time. Run by the drift queue (lib/timeline/drift-queue.ts) after whatever changed them.
 */
export async function refreshStaleSummaries(
  db: Db,
  options: { limit?: number; batch?: number; log?: (line: string) => void } = {},
): Promise<number> {
  const log = options.log ?? (() => {});
  const batch = Math.max(1, options.batch ?? 100);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let done = 0;
  // Each patient once per run: one whose scans cannot all be assessed stays "stale" and must not loop forever.
  const seen = new Set<string>();
  while (done < limit) {
    // Read again each round: the library or the model may change while this runs.
    const ctx = await context(db);
    const ids = (await stalePatients(db, ctx, Math.min(batch, limit - done) + seen.size)).filter((id) => !seen.has(id));
    if (ids.length === 0) break;
    for (const id of ids.slice(0, limit - done)) {
      seen.add(id);
      try {
        await patientTimeline(db, id, ctx);
        done++;
      } catch (error) {
        // One patient's failure (a scan whose vector went missing) must not stop everyone else's refresh.
        log(`drift of patient ${id} not recomputed: ${(error as Error).message}`);
      }
    }
  }
  if (done) log(`recomputed the drift of ${done} patients`);
  return done;
}

export async function currentStamps(db: Db): Promise<Context> {
  return context(db);
}
