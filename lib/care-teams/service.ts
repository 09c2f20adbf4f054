// Care teams (RADTRACK_PATIENT_SCOPING=care-team): admins create and delete teams and set who and which patients
// belong to them. Every change is audited; lib/patients/access.ts reads the memberships.
import type { ActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import type { CreateTeamInput, SetMemberInput, SetPatientInput } from "./schemas";

export async function createTeam(db: Db, input: CreateTeamInput, ctx: ActionContext) {
  try {
    return await db.$transaction(async (tx) => {
      const team = await tx.careTeam.create({ data: { name: input.name } });
      await recordAudit(tx, ctx, {
        action: "care_team.created",
        targetType: "care_team",
        targetId: team.id,
        details: { name: input.name },
      });
      return { id: team.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new UserFacingError(`A team named ${input.name} already exists.`, { name: ["Choose another name."] });
    }
    throw error;
  }
}

export async function deleteTeam(db: Db, input: { teamId: string }, ctx: ActionContext) {
  return db.$transaction(async (tx) => {
    const team = await tx.careTeam.findUnique({
      where: { id: input.teamId },
      select: { id: true, name: true, _count: { select: { members: true, patients: true } } },
    });
    if (!team) throw new UserFacingError("This team no longer exists.");
    await tx.careTeam.delete({ where: { id: team.id } });
    await recordAudit(tx, ctx, {
      action: "care_team.deleted",
      targetType: "care_team",
      targetId: team.id,
      details: { name: team.name, members: team._count.members, patients: team._count.patients },
    });
    return { id: team.id };
  });
}

async function requireTeam(db: Db, teamId: string) {
  const team = await db.careTeam.findUnique({ where: { id: teamId }, select: { id: true } });
  if (!team) throw new UserFacingError("This team no longer exists.");
  return team;
}

export async function setTeamMember(db: Db, input: SetMemberInput, ctx: ActionContext) {
  await requireTeam(db, input.teamId);
  const user = await db.user.findUnique({ where: { email: input.email }, select: { id: true } });
  if (!user) throw new UserFacingError(`No user has the e-mail address ${input.email}.`, { email: ["Unknown user."] });
  const changed = input.member
    ? (
        await db.careTeamMember.createMany({
          data: [{ teamId: input.teamId, userId: user.id }],
          skipDuplicates: true,
        })
      ).count
    : (await db.careTeamMember.deleteMany({ where: { teamId: input.teamId, userId: user.id } })).count;
  // Asking for the state a team is already in changes nothing and records nothing.
  if (changed > 0) {
    await recordAudit(db, ctx, {
      action: input.member ? "care_team.member_added" : "care_team.member_removed",
      targetType: "care_team",
      targetId: input.teamId,
      details: { userId: user.id },
    });
  }
  return { changed: changed > 0 };
}

export async function setTeamPatient(db: Db, input: SetPatientInput, ctx: ActionContext) {
  await requireTeam(db, input.teamId);
  const patient = await db.patient.findFirst({
    where: { mrn: { equals: input.mrn, mode: "insensitive" } },
    select: { id: true },
  });
  if (!patient) throw new UserFacingError(`No patient has the MRN ${input.mrn}.`, { mrn: ["Unknown MRN."] });
  const changed = input.member
    ? (
        await db.careTeamPatient.createMany({
          data: [{ teamId: input.teamId, patientId: patient.id }],
          skipDuplicates: true,
        })
      ).count
    : (await db.careTeamPatient.deleteMany({ where: { teamId: input.teamId, patientId: patient.id } })).count;
  if (changed > 0) {
    await recordAudit(db, ctx, {
      action: input.member ? "care_team.patient_added" : "care_team.patient_removed",
      targetType: "care_team",
      targetId: input.teamId,
      patientId: patient.id,
    });
  }
  return { changed: changed > 0 };
}

/** Teams with their members and patients, for the admin page. */
export function listTeams(db: Db) {
  return db.careTeam.findMany({
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      members: {
        orderBy: { user: { email: "asc" } },
        select: { user: { select: { id: true, email: true, name: true } } },
      },
      patients: {
        orderBy: { patient: { mrn: "asc" } },
        take: 200,
        select: { patient: { select: { id: true, mrn: true, name: true } } },
      },
      _count: { select: { patients: true } },
    },
  });
}
