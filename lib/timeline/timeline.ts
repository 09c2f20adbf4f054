// A patient's scans with where each one sits (severity index, region, class mix) and the course they make, read from
// what is stored: a pure read (no writes, no index builds), safe on a read replica. Only assessments of the current
// model and reference library are used, so a model upgrade or a library import never leaves old values on a new
// curve; a scan whose assessment is not computed yet counts as pending until the writers' refresh
// (lib/timeline/refresh.ts) has run.
import type { Db } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";
import type { ReferenceClass } from "@/lib/domain";
import { scaleOf, type SeverityScale } from "@/lib/drift/scale";
import type { Region } from "@/lib/drift/severity";
import { driftPolicyFromEnv } from "@/lib/config";
import { patientDrift, type PatientDrift } from "@/lib/drift/trend";
import { acquisitionInstant } from "@/lib/scans/acquisition-date";
import { modelInUse, type ActiveModel } from "@/lib/scans/active-model";
import { libraryIsEmpty, libraryStamp } from "./library-stamp";

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

/** The scans a timeline shows, its stale check and its refresh count: one place, so a new exclusion applies to all. */
export function timelineScans(patientId: string): Prisma.ScanWhereInput {
  // A withdrawn scan (lib/scans/withdraw.ts) is on no timeline, drift or summary.
  return { patientId, withdrawnAt: null };
}

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
  /**
   * Scans with a vector of the model but no assessment against the current library yet: the refresh queued by
   * whatever changed them has not run. The page says "updating" rather than computing them inline.
   */
  pending: number;
}

/** What stored values must match to be current: the model in use and the reference library's state. */
export interface TimelineContext {
  model: ActiveModel;
  stamp: string;
}

export async function readContext(db: Db): Promise<TimelineContext> {
  const [model, stamp] = await Promise.all([modelInUse(), libraryStamp(db)]);
  return { model, stamp };
}

export async function patientTimeline(db: Db, patientId: string, ctx?: TimelineContext): Promise<PatientTimeline> {
  const [{ model, stamp }, scans] = await Promise.all([
    ctx ?? readContext(db),
    db.scan.findMany({
      where: timelineScans(patientId),
      orderBy: TIMELINE_ORDER,
      select: { id: true, acquiredAt: true, acquiredTime: true, createdAt: true, view: true },
    }),
  ]);
  const ids = scans.map((s) => s.id);
  const [stored, vectors] = await Promise.all([
    db.scanAssessment.findMany({ where: { scanId: { in: ids }, modelId: model.id, libraryStamp: stamp } }),
    db.embedding.findMany({
      where: { scanId: { in: ids }, modelId: model.id },
      select: { scanId: true, extent: true, extentLo: true, extentHi: true },
    }),
  ]);
  const byScan = new Map(stored.map((a) => [a.scanId, a]));
  const embedded = new Map(vectors.map((e) => [e.scanId, e]));
  // With no reference library there is nothing to assess against: no scan waits for an assessment.
  const assessable = !libraryIsEmpty(stamp);
  let pending = 0;
  const out: TimelineScan[] = scans.map((scan) => {
    const acquiredAt = scan.acquiredAt ? acquisitionInstant(scan.acquiredAt, scan.acquiredTime) : scan.createdAt;
    const timed = scan.acquiredAt !== null && scan.acquiredTime !== null;
    const e = embedded.get(scan.id);
    const extent =
      e?.extent == null ? null : { value: e.extent, lo: e.extentLo ?? e.extent, hi: e.extentHi ?? e.extent };
    const a = byScan.get(scan.id);
    if (!a && e && assessable) pending++;
    return {
      scanId: scan.id,
      acquiredAt,
      timed,
      view: scan.view,
      extent,
      assessment: a
        ? { index: a.severityIndex, region: a.region, mix: a.mix as Record<ReferenceClass, number>, k: a.k }
        : null,
    };
  });
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
  return { modelId: model.id, scale, scans: out, drift, pending };
}
