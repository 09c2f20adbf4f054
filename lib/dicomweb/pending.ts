// The "to confirm" list: instances whose patient Radtrack would not decide alone. An admin files one under an
// existing patient (by MRN) or creates the patient from the file; the PatientID (+ issuer) is then linked to that
// patient, so later instances, and the others waiting with the same PatientID, follow without asking again.
import type { ActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import { config as appConfig, type RadtrackConfig } from "@/lib/config";
import { UserFacingError } from "@/lib/errors";
import { insertPatientFromFile } from "./care-team";
import { displayName } from "./matching";
import { receiveInstances, type ReceiveOrigin, type ReceiveOutcome } from "./receive";
import type { ConfirmPendingInput } from "./schemas";
import { activeDicomweb, receiveSettings } from "./settings";

export interface PendingView {
  id: string;
  dicomPatientId: string;
  issuer: string;
  patientName: string;
  reason: string;
  candidate: { id: string; mrn: string; name: string } | null;
  via: string;
  createdAt: string;
}

export async function listPending(db: Db, limit = 200): Promise<PendingView[]> {
  const rows = await db.dicomwebPending.findMany({
    orderBy: { createdAt: "asc" },
    take: limit,
    select: {
      id: true,
      dicomPatientId: true,
      issuer: true,
      patientName: true,
      reason: true,
      candidateId: true,
      via: true,
      createdAt: true,
    },
  });
  const candidates = await db.patient.findMany({
    where: { id: { in: rows.flatMap((r) => (r.candidateId ? [r.candidateId] : [])) } },
    select: { id: true, mrn: true, name: true },
  });
  const byId = new Map(candidates.map((c) => [c.id, c]));
  return rows.map((r) => ({
    id: r.id,
    dicomPatientId: r.dicomPatientId,
    issuer: r.issuer,
    patientName: displayName(r.patientName) || "(no name in the file)",
    reason: r.reason,
    candidate: r.candidateId ? (byId.get(r.candidateId) ?? null) : null,
    via: r.via,
    createdAt: r.createdAt.toISOString(),
  }));
}

const viaOf = (via: string): ReceiveOrigin["via"] => (via === "stow" || via === "dimse" ? via : "poll");

async function patientFor(
  db: Db,
  input: ConfirmPendingInput,
  held: { dicomPatientId: string; patientName: string; sex: string; birthYear: number | null },
  ctx: ActionContext,
  careTeam: string | undefined,
) {
  if (input.choice === "existing") {
    const patient = await db.patient.findUnique({ where: { mrn: input.mrn }, select: { id: true } });
    if (!patient) throw new UserFacingError(`No patient has MRN ${input.mrn}.`, { mrn: ["Enter an existing MRN."] });
    return patient.id;
  }
  const mrn = held.dicomPatientId;
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/.test(mrn)) {
    throw new UserFacingError(`The file's PatientID "${mrn}" is not a valid MRN: file it under an existing patient.`);
  }
  try {
    return await db.$transaction((tx) =>
      insertPatientFromFile(
        tx,
        { mrn, patientName: held.patientName, sex: held.sex, birthYear: held.birthYear },
        ctx,
        careTeam,
      ),
    );
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new UserFacingError(`A patient with MRN ${mrn} already exists: file the instance under that patient.`);
    }
    throw error;
  }
}

export async function confirmPending(
  db: Db,
  input: ConfirmPendingInput,
  ctx: ActionContext,
  cfg: RadtrackConfig = appConfig(),
): Promise<{ outcome: ReceiveOutcome["outcome"]; reason: string | null; alsoFiled: number }> {
  const held = await db.dicomwebPending.findUnique({ where: { id: input.id } });
  if (!held) throw new UserFacingError("This instance is no longer waiting (another admin may have decided).");
  const patientId = await patientFor(db, input, held, ctx, cfg.pacsCareTeam);
  await db.dicomPatientLink.upsert({
    where: { issuer_dicomPatientId: { issuer: held.issuer, dicomPatientId: held.dicomPatientId } },
    create: {
      issuer: held.issuer,
      dicomPatientId: held.dicomPatientId,
      patientId,
      acceptedName: held.patientName,
      createdBy: ctx.actor.id,
    },
    update: { patientId, acceptedName: held.patientName, createdBy: ctx.actor.id },
  });
  const settings = receiveSettings((await activeDicomweb(db, cfg)).config, cfg);
  const origin = { via: viaOf(held.via), remote: held.remote };
  const [outcome] = await receiveInstances(db, [Buffer.from(held.bytes)], origin, settings, ctx, {
    forcePatientId: new Map([[0, patientId]]),
    reprocessPending: true,
  });
  await db.dicomwebPending.delete({ where: { id: held.id } });
  await recordAudit(db, ctx, {
    action: "dicomweb.confirmed",
    targetType: outcome!.scanId ? "scan" : "patient",
    targetId: outcome!.scanId ?? patientId,
    patientId,
    details: { sopInstanceUid: held.sopInstanceUid, choice: input.choice, outcome: outcome!.outcome },
  });

  // The others waiting with this PatientID now match through the link (a conflicting name still waits).
  const others = await db.dicomwebPending.findMany({
    where: { issuer: held.issuer, dicomPatientId: held.dicomPatientId },
  });
  let alsoFiled = 0;
  for (const other of others) {
    const [o] = await receiveInstances(
      db,
      [Buffer.from(other.bytes)],
      { via: viaOf(other.via), remote: other.remote },
      settings,
      ctx,
      { reprocessPending: true },
    );
    if (o!.outcome !== "pending") {
      await db.dicomwebPending.delete({ where: { id: other.id } });
      alsoFiled++;
    }
  }
  return { outcome: outcome!.outcome, reason: outcome!.reason, alsoFiled };
}

export async function discardPending(db: Db, id: string, ctx: ActionContext): Promise<void> {
  const held = await db.dicomwebPending.findUnique({ where: { id }, select: { id: true, sopInstanceUid: true } });
  if (!held) throw new UserFacingError("This instance is no longer waiting (another admin may have decided).");
  await db.$transaction(async (tx) => {
    await tx.dicomwebPending.delete({ where: { id } });
    await tx.dicomwebInstance.update({
      where: { sopInstanceUid: held.sopInstanceUid },
      data: { outcome: "refused", reason: "discarded by an admin" },
    });
    await recordAudit(tx, ctx, {
      action: "dicomweb.discarded",
      details: { sopInstanceUid: held.sopInstanceUid },
    });
  });
}
