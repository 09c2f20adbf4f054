// The write side of the timeline: computes the assessments a patient's scans lack against the current model and
// reference library, and stores the summary the patient list sorts and filters on. Called by what changes them (an
// upload or a DICOMweb ingest for its patient, the drift queue after a bulk job, a reference import or a re-embedding),
// never by a page or a GET: reads (lib/timeline/timeline.ts) only show what is stored.
import type { Db } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";
import { NEIGHBOUR_K } from "@/lib/domain";
import type { SeverityScale } from "@/lib/drift/scale";
import { assessScan } from "@/lib/drift/severity";
import type { PatientDrift } from "@/lib/drift/trend";
import { findNeighbours } from "@/lib/neighbours/find";
import { activeModel } from "@/lib/scans/active-model";
import { libraryStamp } from "./library-stamp";
import { stalePatients } from "./staleness";
import {
  patientTimeline,
  TIMELINE_ORDER,
  timelineScans,
  type PatientTimeline,
  type TimelineContext,
  type TimelineScan,
} from "./timeline";

/** The context a writer works in: the model registered (its indexes made) before anything of it is stored. */
export async function refreshContext(db: Db): Promise<TimelineContext> {
  return { model: await activeModel(db), stamp: await libraryStamp(db) };
}

/** Brings one patient's assessments and summary up to date; returns the timeline as it now reads. */
export async function refreshPatientDrift(db: Db, patientId: string, ctx?: TimelineContext): Promise<PatientTimeline> {
  const { model, stamp } = ctx ?? (await refreshContext(db));
  const missing = await db.scan.findMany({
    where: {
      AND: [
        timelineScans(patientId),
        { embeddings: { some: { modelId: model.id } } },
        { assessments: { none: { modelId: model.id, libraryStamp: stamp } } },
      ],
    },
    orderBy: TIMELINE_ORDER,
    select: { id: true, patientId: true, sha256: true },
  });
  for (const scan of missing) {
    const rows = await findNeighbours(db, scan, model, { k: NEIGHBOUR_K });
    if (!rows || rows.length === 0) continue;
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
  }
  const timeline = await patientTimeline(db, patientId, { model, stamp });
  await storeSummary(db, patientId, model.id, stamp, timeline.scans, timeline.drift, timeline.scale);
  return timeline;
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
 * After a writer stored films of one patient: their assessments and the patient's summary at once, so the list and
 * the timeline show them on the next read. A failure only logs: the drift queue's next run catches up.
 */
export async function refreshAfterStore(db: Db, patientId: string, what: string): Promise<void> {
  await refreshPatientDrift(db, patientId).catch((error: unknown) => {
    console.error(`drift refresh after ${what} failed:`, (error as Error).name);
  });
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
    const ctx = await refreshContext(db);
    const ids = (await stalePatients(db, ctx, Math.min(batch, limit - done) + seen.size)).filter((id) => !seen.has(id));
    if (ids.length === 0) break;
    for (const id of ids.slice(0, limit - done)) {
      seen.add(id);
      try {
        await refreshPatientDrift(db, id, ctx);
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
