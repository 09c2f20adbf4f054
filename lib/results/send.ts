// Sends one scan's result back to the PACS it came from, as a DICOM SR over STOW-RS, when the setting is on. Only
// films received from the PACS (polled or pushed, recorded in dicomweb_instances) are answered: the SR joins their
// study there. The values are the FHIR Observation's (lib/fhir/service.ts, one source of truth); every attempt is
// audited, `result.sent` with the remote system and the SR's UIDs, `result.send_failed` with the reason.
import type { PublicActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { DicomwebClient } from "@/lib/dicomweb/client";
import { activeDicomweb } from "@/lib/dicomweb/settings";
import { patientRecord } from "@/lib/fhir/service";
import { scanStore } from "@/lib/storage";
import { refreshPatientDrift } from "@/lib/timeline/refresh";
import type { ScanStore } from "@/lib/storage/scan-store";
import { readSourceFilm } from "./source";
import { buildResultSr } from "./sr";

export type SendOutcome =
  | { kind: "off" }
  | { kind: "skipped"; reason: string }
  | { kind: "sent"; remote: string; studyUid: string; seriesUid: string; sopInstanceUid: string };

const SYSTEM: PublicActionContext = { actor: null, ip: null };

/** Whether results go back to the PACS now (environment, else the admin page). */
export async function sendingResults(db: Db): Promise<boolean> {
  return (await activeDicomweb(db)).config?.sendResults ?? false;
}

/**
 * Builds and stores the scan's SR. "off" and "skipped" are final answers; a failure to reach or satisfy the PACS
 * throws (after its audit row) so that the queue tries again later.
 */
export async function sendResult(
  db: Db,
  scanId: string,
  options: { store?: ScanStore; attempt?: number; now?: Date } = {},
): Promise<SendOutcome> {
  const cfg = (await activeDicomweb(db)).config;
  if (!cfg?.sendResults) return { kind: "off" };
  const from = await db.dicomwebInstance.findFirst({ where: { scanId, outcome: "ingested" } });
  if (!from) return { kind: "skipped", reason: "the film did not come from the PACS" };
  const scan = await db.scan.findUnique({
    where: { id: scanId },
    select: { patientId: true, storageKey: true, withdrawnAt: true },
  });
  if (!scan?.patientId) return { kind: "skipped", reason: "the scan no longer exists" };
  // Withdrawn (wrong patient, not a radiograph): its result must not reach the PACS, even from a queued send.
  if (scan.withdrawnAt) return { kind: "skipped", reason: "the scan was withdrawn" };
  const resultOf = async () => (await patientRecord(db, scan.patientId!))?.scans.find((s) => s.id === scanId);
  let result = await resultOf();
  if (!result?.assessment) {
    // The receiver assesses a film as it stores it; a refresh that failed then is made up for here (a writer).
    await refreshPatientDrift(db, scan.patientId);
    result = await resultOf();
  }
  if (!result?.model || (!result.extent && !result.assessment)) {
    return { kind: "skipped", reason: "the film has no result of the active model" };
  }

  const remote = cfg.url;
  try {
    const source = readSourceFilm(await (options.store ?? scanStore()).readOriginal(scan.storageKey));
    const sr = buildResultSr(result, source, { now: options.now });
    const answer = await new DicomwebClient(cfg.url, cfg.auth).storeInstances([sr.bytes]);
    const failed = answer.failed.find((f) => f.sopInstanceUid === sr.sopInstanceUid);
    if (failed || !answer.stored.includes(sr.sopInstanceUid)) {
      const reason = failed?.reason ?? null;
      throw new Error(
        `the PACS did not store the SR${reason === null ? "" : ` (failure reason 0x${reason.toString(16).padStart(4, "0")})`}`,
      );
    }
    await recordAudit(db, SYSTEM, {
      action: "result.sent",
      targetType: "scan",
      targetId: scanId,
      patientId: scan.patientId,
      details: {
        remote,
        format: "dicom-sr",
        studyUid: sr.studyUid,
        seriesUid: sr.seriesUid,
        sopInstanceUid: sr.sopInstanceUid,
        ...(options.attempt ? { attempt: options.attempt } : {}),
      },
    });
    return { kind: "sent", remote, studyUid: sr.studyUid, seriesUid: sr.seriesUid, sopInstanceUid: sr.sopInstanceUid };
  } catch (error) {
    await recordAudit(db, SYSTEM, {
      action: "result.send_failed",
      targetType: "scan",
      targetId: scanId,
      patientId: scan.patientId,
      details: {
        remote,
        format: "dicom-sr",
        error: (error as Error).message.slice(0, 300),
        attempt: options.attempt ?? 0,
      },
    });
    throw error;
  }
}
