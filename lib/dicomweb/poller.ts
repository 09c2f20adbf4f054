// The DICOMweb poller: QIDO-RS lists series of the configured modalities, a series is walked again only when its
// instance count changed (the cursor, in dicomweb_series), new instances are filtered on their tags, retrieved with
// WADO-RS in batches of eight across series and received like any pushed instance. Every instance is remembered by
// SOP Instance UID, so a crash or a PACS outage mid-poll costs a re-listing, never a duplicate. While the PACS is unreachable the
// next poll is pushed back (doubling, at most 15 minutes); the state lives in dicomweb_poll_state.
import type { PublicActionContext } from "@/lib/actions/define-action";
import type { DicomwebConfig } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import type { ScanStore } from "@/lib/storage/scan-store";
import { DicomwebClient, type InstanceEntry, type SeriesEntry } from "./client";
import { refusalReason } from "./filters";
import { receiveInstances, type ReceiveOutcome, type ReceiveSettings } from "./receive";

export interface PollReport {
  seen: number;
  ingested: number;
  refused: number;
  pending: number;
  failed: number;
  duplicate: number;
  error: string | null;
  nextPollAt: Date;
}

const SERIES_PAGE = 500;
const RETRIEVE_BATCH = 8;
/** Series listed before their films are retrieved: bounds the work an interruption makes the next poll redo. */
const SERIES_GROUP = 32;
const MAX_BACKOFF_SECONDS = 900;
const SYSTEM: PublicActionContext = { actor: null, ip: null };

/** Seconds to wait after `failures` consecutive failed polls. */
export function backoffSeconds(pollSeconds: number, failures: number): number {
  if (failures <= 0) return pollSeconds;
  return Math.min(Math.max(pollSeconds, MAX_BACKOFF_SECONDS), pollSeconds * 2 ** failures);
}

export interface PollOptions {
  store?: ScanStore;
  now?: () => Date;
  /** Instances retrieved and embedded together (default 8). */
  batch?: number;
}

export async function pollOnce(
  db: Db,
  cfg: DicomwebConfig,
  settings: ReceiveSettings,
  options: PollOptions = {},
): Promise<PollReport> {
  const now = options.now ?? (() => new Date());
  const source = cfg.url;
  const client = new DicomwebClient(cfg.url, cfg.auth);
  const origin = { via: "poll" as const, remote: source };
  const report: PollReport = {
    seen: 0,
    ingested: 0,
    refused: 0,
    pending: 0,
    failed: 0,
    duplicate: 0,
    error: null,
    nextPollAt: now(),
  };
  const count = (o: ReceiveOutcome["outcome"]) => {
    report.seen++;
    report[o]++;
  };
  const state = await db.dicomwebPollState.upsert({
    where: { source },
    create: { source, lastPollAt: now() },
    update: { lastPollAt: now() },
  });

  /** Lists one series' new instances, records the ones refused on their tags, returns the ones to retrieve. */
  const listSeries = async (studyUid: string, seriesUid: string): Promise<InstanceEntry[]> => {
    const instances = await client.searchInstances(studyUid, seriesUid);
    const known = new Set(
      (
        await db.dicomwebInstance.findMany({
          where: { seriesUid, outcome: { not: "failed" } },
          select: { sopInstanceUid: true },
        })
      ).map((r) => r.sopInstanceUid),
    );
    const fresh = instances.filter((i) => i.sopInstanceUid && !known.has(i.sopInstanceUid));
    const wanted: InstanceEntry[] = [];
    for (const instance of fresh) {
      const reason = refusalReason(instance, settings.filters);
      if (!reason) {
        wanted.push(instance);
        continue;
      }
      // Refused on its QIDO tags: never retrieved.
      await db.dicomwebInstance.upsert({
        where: { sopInstanceUid: instance.sopInstanceUid },
        create: {
          sopInstanceUid: instance.sopInstanceUid,
          studyUid,
          seriesUid,
          via: "poll",
          remote: source,
          outcome: "refused",
          reason,
        },
        update: { outcome: "refused", reason, at: now() },
      });
      await db.auditEvent.create({
        data: {
          action: "dicomweb.received",
          details: {
            via: "poll",
            remote: source,
            outcome: "refused",
            studyUid,
            sopInstanceUid: instance.sopInstanceUid,
          },
        },
      });
      count("refused");
    }
    return wanted;
  };

  /**
   * Walks a group of series: lists them, then retrieves and receives their wanted instances in batches that cross
   * series (a chest film is usually a series of one: batching per series would embed films one by one). The group's
   * cursors move only once all of its instances are recorded, so an interrupted walk is redone next time.
   */
  const walkGroup = async (group: readonly SeriesEntry[]) => {
    const wanted: InstanceEntry[] = [];
    for (const series of group) wanted.push(...(await listSeries(series.studyUid, series.seriesUid)));
    const batch = options.batch ?? RETRIEVE_BATCH;
    for (let i = 0; i < wanted.length; i += batch) {
      const slice = wanted.slice(i, i + batch);
      const files = await Promise.all(
        slice.map((w) => client.retrieveInstance(w.studyUid, w.seriesUid, w.sopInstanceUid)),
      );
      for (const o of await receiveInstances(db, files, origin, settings, SYSTEM, { store: options.store })) {
        count(o.outcome);
      }
    }
    for (const series of group) {
      await db.dicomwebSeries.upsert({
        where: { seriesUid: series.seriesUid },
        create: { seriesUid: series.seriesUid, studyUid: series.studyUid, instanceCount: series.instanceCount },
        update: { instanceCount: series.instanceCount },
      });
    }
  };

  try {
    for (const modality of cfg.modalities) {
      for (let offset = 0; ; offset += SERIES_PAGE) {
        const page = await client.searchSeries(modality, offset, SERIES_PAGE);
        const cursor = new Map(
          (await db.dicomwebSeries.findMany({ where: { seriesUid: { in: page.map((s) => s.seriesUid) } } })).map(
            (s) => [s.seriesUid, s.instanceCount],
          ),
        );
        const changed = page.filter((s) => s.seriesUid && cursor.get(s.seriesUid) !== s.instanceCount);
        for (let i = 0; i < changed.length; i += SERIES_GROUP) await walkGroup(changed.slice(i, i + SERIES_GROUP));
        if (page.length < SERIES_PAGE) break;
      }
    }
  } catch (error) {
    report.error = (error as Error).message;
  }

  const failures = report.error ? state.failures + 1 : 0;
  report.nextPollAt = new Date(now().getTime() + backoffSeconds(cfg.pollSeconds, failures) * 1000);
  await db.dicomwebPollState.update({
    where: { source },
    data: {
      failures,
      nextPollAt: report.nextPollAt,
      ...(report.error ? { lastError: report.error } : { lastSuccessAt: now(), lastError: null }),
      seen: { increment: report.seen },
      ingested: { increment: report.ingested },
      refused: { increment: report.refused },
      pending: { increment: report.pending },
      failed: { increment: report.failed },
    },
  });
  return report;
}
