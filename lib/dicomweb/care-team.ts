// Patients created from PACS files (automatically, RADTRACK_PACS_CREATE_PATIENTS, or by an admin's "create from the
// file") join the care team RADTRACK_PACS_CARE_TEAM names, so that under care-team scoping the clinicians who follow
// those films see them at once. No team named: no team, as for any patient an admin creates.
import type { PublicActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Prisma } from "@/lib/db/generated/client";
import { insertPatient } from "@/lib/patients/service";
import { displayName, patientSex } from "./matching";

/** Inside the transaction that creates the patient. Returns the team's id, or null (none named, or none by that name). */
export async function joinPacsCareTeam(
  tx: Prisma.TransactionClient,
  patientId: string,
  teamName: string | undefined,
  ctx: PublicActionContext,
): Promise<string | null> {
  if (!teamName) return null;
  const team = await tx.careTeam.findUnique({ where: { name: teamName }, select: { id: true } });
  if (!team) {
    // The patient is still created (an admin sees every patient and can add it on Admin -> Care teams).
    console.warn(
      `[radtrack] RADTRACK_PACS_CARE_TEAM names no care team ("${teamName}"): patient ${patientId} joins none`,
    );
    return null;
  }
  await tx.careTeamPatient.createMany({ data: [{ teamId: team.id, patientId }], skipDuplicates: true });
  await recordAudit(tx, ctx, {
    action: "care_team.patient_added",
    targetType: "care_team",
    targetId: team.id,
    patientId,
    details: { via: "dicomweb" },
  });
  return team.id;
}

/** What a file's header says of a patient it creates. */
export interface PatientFromFile {
  mrn: string;
  /** DICOM person name ("Doe^Jane"). */
  patientName: string;
  /** DICOM PatientSex (M, F, O or blank). */
  sex: string;
  birthYear: number | null | undefined;
}

/**
 * A patient created from a PACS file, inside the caller's transaction: the patient service's insert (patient.created
 * audited "via dicomweb"), then the PACS care team rather than the teams of whoever's credentials delivered the file.
 */
export async function insertPatientFromFile(
  tx: Prisma.TransactionClient,
  file: PatientFromFile,
  ctx: PublicActionContext,
  careTeam: string | undefined,
): Promise<string> {
  const { id } = await insertPatient(
    tx,
    {
      mrn: file.mrn,
      name: displayName(file.patientName) || `Patient ${file.mrn}`,
      sex: patientSex(file.sex),
      birthYear: file.birthYear ?? undefined,
      notes: "",
    },
    ctx,
    { via: "dicomweb" },
    { creatorsTeams: false },
  );
  await joinPacsCareTeam(tx, id, careTeam, ctx);
  return id;
}
