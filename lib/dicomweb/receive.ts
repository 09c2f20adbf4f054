// One path for every instance that reaches Radtrack from a PACS, polled (DICOMweb) or pushed (STOW-RS): read the
// header, drop what was received before (SOP Instance UID), refuse what is not a frontal chest radiograph, match the
// patient, then the same ingest pipeline as an upload (validation, sha256 dedupe, embedding, audit) with origin
// "dicomweb". What became of each instance is kept in dicomweb_instances, written in the transaction that records
// the scan, so a crash never leaves a scan without its record or the reverse.
import type { PublicActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import type { DicomwebOutcome } from "@/lib/db/generated/enums";
import { DuplicateScanError, ScanRejectedError } from "@/lib/scans/errors";
import { ingestScans, type IngestInput } from "@/lib/scans/ingest";
import type { ScanStore } from "@/lib/storage/scan-store";
import { queueResultSends } from "@/lib/results/queue";
import { refreshAfterStore } from "@/lib/timeline/refresh";
import { insertPatientFromFile } from "./care-team";
import { refusalReason, type FilterSettings } from "./filters";
import { NotDicomError, readInstanceHeader, type InstanceHeader } from "./header";
import { matchPatient, type MatchSettings } from "./matching";

export interface ReceiveOrigin {
  /** Polled over DICOMweb, pushed with STOW-RS, or sent with C-STORE (lib/dimse). */
  via: "poll" | "stow" | "dimse";
  /** The PACS's base URL, or the pushing client's address. */
  remote: string;
}

export interface ReceiveSettings extends MatchSettings {
  filters: FilterSettings;
}

export interface ReceiveOutcome {
  outcome: DicomwebOutcome;
  sopClassUid: string | null;
  sopInstanceUid: string | null;
  studyUid: string | null;
  seriesUid: string | null;
  reason: string | null;
  scanId: string | null;
  patientId: string | null;
}

interface Item {
  index: number;
  bytes: Buffer;
  header: InstanceHeader;
}

const RETRYABLE: readonly DicomwebOutcome[] = ["failed"];

function outcomeOf(h: InstanceHeader | null, outcome: DicomwebOutcome, rest: Partial<ReceiveOutcome> = {}) {
  return {
    outcome,
    sopClassUid: h?.sopClassUid ?? null,
    sopInstanceUid: h?.sopInstanceUid ?? null,
    studyUid: h?.studyUid ?? null,
    seriesUid: h?.seriesUid ?? null,
    reason: null,
    scanId: null,
    patientId: null,
    ...rest,
  } satisfies ReceiveOutcome;
}

async function recordInstance(db: Db, origin: ReceiveOrigin, h: InstanceHeader, o: ReceiveOutcome, sha256?: string) {
  const data = {
    studyUid: h.studyUid,
    seriesUid: h.seriesUid,
    sopClassUid: h.sopClassUid || null,
    modality: h.modality || null,
    via: origin.via,
    remote: origin.remote,
    outcome: o.outcome,
    reason: o.reason,
    scanId: o.scanId,
    patientId: o.patientId,
    sha256: sha256 ?? null,
    at: new Date(),
  };
  await db.dicomwebInstance.upsert({
    where: { sopInstanceUid: h.sopInstanceUid },
    create: { sopInstanceUid: h.sopInstanceUid, ...data },
    update: data,
  });
}

async function auditReceived(db: Db, origin: ReceiveOrigin, ctx: PublicActionContext, o: ReceiveOutcome) {
  await recordAudit(db, ctx, {
    action: "dicomweb.received",
    targetType: o.scanId ? "scan" : null,
    targetId: o.scanId,
    patientId: o.patientId,
    details: {
      via: origin.via,
      remote: origin.remote,
      outcome: o.outcome,
      ...(o.studyUid ? { studyUid: o.studyUid } : {}),
      ...(o.sopInstanceUid ? { sopInstanceUid: o.sopInstanceUid } : {}),
    },
  });
}

async function createPatientFrom(
  db: Db,
  h: InstanceHeader,
  ctx: PublicActionContext,
  careTeam: string | undefined,
): Promise<string> {
  try {
    return await db.$transaction((tx) =>
      insertPatientFromFile(
        tx,
        { mrn: h.patientId.trim(), patientName: h.patientName, sex: h.sex, birthYear: h.birthYear },
        ctx,
        careTeam,
      ),
    );
  } catch (error) {
    // Another instance of the same new patient created it meanwhile.
    if (!isUniqueViolation(error)) throw error;
    const winner = await db.patient.findUnique({ where: { mrn: h.patientId.trim() } });
    if (!winner) throw error;
    return winner.id;
  }
}

async function holdForAdmin(
  db: Db,
  item: Item,
  origin: ReceiveOrigin,
  reason: string,
  candidateId: string | null,
): Promise<void> {
  const h = item.header;
  const data = {
    dicomPatientId: h.patientId.trim(),
    issuer: h.issuer,
    patientName: h.patientName,
    sex: h.sex,
    birthYear: h.birthYear ?? null,
    reason,
    candidateId,
    bytes: new Uint8Array(item.bytes),
    via: origin.via,
    remote: origin.remote,
  };
  await db.dicomwebPending.upsert({
    where: { sopInstanceUid: h.sopInstanceUid },
    create: { sopInstanceUid: h.sopInstanceUid, ...data },
    update: data,
  });
}

/**
 * Receives instances (their Part 10 bytes). Never throws for a bad or unwanted instance, only when the database or
 * the model is unusable; each input gets its outcome, in order.
 */
export async function receiveInstances(
  db: Db,
  files: readonly Buffer[],
  origin: ReceiveOrigin,
  settings: ReceiveSettings,
  ctx: PublicActionContext,
  options: {
    store?: ScanStore;
    /** An admin's decision: file input `index` under this patient, without matching. */
    forcePatientId?: Map<number, string>;
    /** Instances held for an admin are received again (after an admin linked their PatientID). */
    reprocessPending?: boolean;
  } = {},
): Promise<ReceiveOutcome[]> {
  const outcomes: ReceiveOutcome[] = new Array(files.length);
  const toIngest: (Item & { patientId: string })[] = [];
  const seenInBatch = new Set<string>();
  for (const [index, bytes] of files.entries()) {
    let header: InstanceHeader;
    try {
      header = readInstanceHeader(bytes);
    } catch (error) {
      if (!(error instanceof NotDicomError)) throw error;
      outcomes[index] = outcomeOf(null, "refused", { reason: error.message });
      await auditReceived(db, origin, ctx, outcomes[index]);
      continue;
    }
    const item = { index, bytes, header };
    const previous = await db.dicomwebInstance.findUnique({ where: { sopInstanceUid: header.sopInstanceUid } });
    const retryable = [...RETRYABLE, ...(options.reprocessPending ? (["pending"] as const) : [])];
    if ((previous && !retryable.includes(previous.outcome)) || seenInBatch.has(header.sopInstanceUid)) {
      outcomes[index] = outcomeOf(header, "duplicate", {
        reason: `SOP Instance UID already received${previous ? ` (${previous.outcome})` : ""}`,
        scanId: previous?.scanId ?? null,
        patientId: previous?.patientId ?? null,
      });
      continue;
    }
    seenInBatch.add(header.sopInstanceUid);
    const refused = refusalReason(header, settings.filters);
    if (refused) {
      outcomes[index] = outcomeOf(header, "refused", { reason: refused });
      await recordInstance(db, origin, header, outcomes[index]);
      await auditReceived(db, origin, ctx, outcomes[index]);
      continue;
    }
    const forced = options.forcePatientId?.get(index);
    const match = forced ? { kind: "matched" as const, patientId: forced } : await matchPatient(db, header, settings);
    if (match.kind === "pending") {
      await holdForAdmin(db, item, origin, match.reason, match.candidateId);
      outcomes[index] = outcomeOf(header, "pending", { reason: match.reason });
      await recordInstance(db, origin, header, outcomes[index]);
      await auditReceived(db, origin, ctx, outcomes[index]);
      continue;
    }
    const patientId =
      match.kind === "create" ? await createPatientFrom(db, header, ctx, settings.careTeam) : match.patientId;
    toIngest.push({ ...item, patientId });
  }

  if (toIngest.length > 0) {
    const scanOrigin = origin.via === "dimse" ? "dimse" : "dicomweb";
    const inputs: IngestInput[] = toIngest.map((t) => ({ patientId: t.patientId, bytes: t.bytes, origin: scanOrigin }));
    const results = await ingestScans(db, inputs, ctx, {
      store: options.store,
      auditDetails: { via: origin.via, remote: origin.remote },
      // The instance's record commits with its scan: after a crash, an instance is either both or neither.
      onRecorded: async (tx, recorded) => {
        for (const { index, scanId, sha256 } of recorded) {
          const t = toIngest[index]!;
          const data = {
            studyUid: t.header.studyUid,
            seriesUid: t.header.seriesUid,
            sopClassUid: t.header.sopClassUid || null,
            modality: t.header.modality || null,
            via: origin.via,
            remote: origin.remote,
            outcome: "ingested" as const,
            reason: null,
            scanId,
            patientId: t.patientId,
            sha256,
            at: new Date(),
          };
          await tx.dicomwebInstance.upsert({
            where: { sopInstanceUid: t.header.sopInstanceUid },
            create: { sopInstanceUid: t.header.sopInstanceUid, ...data },
            update: data,
          });
        }
      },
    });
    for (const [k, result] of results.entries()) {
      const t = toIngest[k]!;
      let o: ReceiveOutcome;
      if (result.ok) {
        o = outcomeOf(t.header, "ingested", { scanId: result.scanId, patientId: t.patientId });
      } else if (result.error instanceof DuplicateScanError) {
        o = outcomeOf(t.header, "duplicate", {
          reason: "the same image (sha256) is already stored for this patient",
          scanId: result.error.existingScanId,
          patientId: t.patientId,
        });
        await recordInstance(db, origin, t.header, o);
      } else if (result.error instanceof ScanRejectedError) {
        o = outcomeOf(t.header, "refused", { reason: result.error.message, patientId: t.patientId });
        await recordInstance(db, origin, t.header, o);
      } else {
        o = outcomeOf(t.header, "failed", { reason: result.error.message, patientId: t.patientId });
        await recordInstance(db, origin, t.header, o);
      }
      outcomes[t.index] = o;
      await auditReceived(db, origin, ctx, o);
    }
    // The patients' severity, trend and alerts include the new films at once (as after an upload).
    const patients = new Set(toIngest.filter((_, k) => results[k]!.ok).map((t) => t.patientId));
    for (const patientId of patients) await refreshAfterStore(db, patientId, "a DICOMweb ingest");
    // Their results go back to the PACS once assessed (above), from the queue: never holding this answer.
    await queueResultSends(
      db,
      results.flatMap((r) => (r.ok ? [r.scanId] : [])),
    );
  }
  return outcomes;
}
