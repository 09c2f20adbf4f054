// Who may read which patient: the one check behind every read path (patient page and edit page, list and search,
// the API, the CSV export, scan images, neighbours, uploads). With RADTRACK_PATIENT_SCOPING=care-team a clinician
// reads the patients of their care teams; any other patient opens only after a stated reason, which is recorded as
// `patient.break_glass` and grants that clinician that patient for RADTRACK_BREAK_GLASS_MINUTES. The audit event is
// the grant itself, so there is no second table that could disagree with the record. Admins manage the teams and
// are not scoped. The default ("open") keeps today's rule: every signed-in user reads every patient.
import { z } from "zod";
import type { ActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Actor } from "@/lib/auth/actor";
import { config, type PatientScoping } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";

export interface AccessPolicy {
  scoping: PatientScoping;
  breakGlassMinutes: number;
}

export function accessPolicy(): AccessPolicy {
  const c = config();
  return { scoping: c.patientScoping, breakGlassMinutes: c.breakGlassMinutes };
}

export type PatientAccess =
  { allowed: true; via: "open" | "admin" | "care-team" | "break-glass" | "script"; until?: Date } | { allowed: false };

/** Raised where a scoped clinician reaches a patient outside their care teams without a current reason. */
export class BreakGlassRequiredError extends UserFacingError {
  constructor(readonly patientId: string) {
    super(
      "This patient is not under your care teams. To open the record anyway, give the reason " +
        "(it is recorded in the audit log and opens the patient for a limited time).",
    );
    this.name = "BreakGlassRequiredError";
  }
}

/**
 * The patients an actor may see in lists and searches (a Prisma filter). Patients opened by breaking the glass stay
 * out of lists: a list is what the care team works on, a grant is for one record.
 */
export function visiblePatients(actor: Actor, policy: AccessPolicy = accessPolicy()): Prisma.PatientWhereInput {
  if (policy.scoping === "open" || actor.role === "admin") return {};
  return { careTeams: { some: { team: { members: { some: { userId: actor.id } } } } } };
}

/** `actor` null: a command-line script run by the operator, who holds the database itself. */
export async function patientAccess(
  db: Db,
  actor: Actor | null,
  patientId: string,
  policy: AccessPolicy = accessPolicy(),
): Promise<PatientAccess> {
  if (policy.scoping === "open") return { allowed: true, via: "open" };
  if (!actor) return { allowed: true, via: "script" };
  if (actor.role === "admin") return { allowed: true, via: "admin" };
  const team = await db.careTeamPatient.findFirst({
    where: { patientId, team: { members: { some: { userId: actor.id } } } },
    select: { teamId: true },
  });
  if (team) return { allowed: true, via: "care-team" };
  const since = new Date(Date.now() - policy.breakGlassMinutes * 60_000);
  const grant = await db.auditEvent.findFirst({
    where: { action: "patient.break_glass", actorId: actor.id, patientId, at: { gte: since } },
    orderBy: { at: "desc" },
    select: { at: true },
  });
  if (grant)
    return {
      allowed: true,
      via: "break-glass",
      until: new Date(grant.at.getTime() + policy.breakGlassMinutes * 60_000),
    };
  return { allowed: false };
}

/**
 * Throws BreakGlassRequiredError unless the actor may read this patient. `patientId` null is a scan of the
 * reference library, which belongs to no patient and is open to every signed-in user.
 */
export async function requirePatientAccess(
  db: Db,
  actor: Actor | null,
  patientId: string | null,
  policy: AccessPolicy = accessPolicy(),
): Promise<void> {
  if (patientId === null) return;
  const access = await patientAccess(db, actor, patientId, policy);
  if (!access.allowed) throw new BreakGlassRequiredError(patientId);
}

export const breakGlassInput = z.object({
  patientId: z.uuid("Unknown patient."),
  reason: z
    .string()
    .trim()
    .min(10, "Give the reason in a few words (at least 10 characters).")
    .max(500, "The reason is at most 500 characters."),
});
export type BreakGlassInput = z.output<typeof breakGlassInput>;

/** Records the reason and so opens the patient to this clinician for the configured time. */
export async function breakGlass(
  db: Db,
  input: BreakGlassInput,
  ctx: ActionContext,
  policy: AccessPolicy = accessPolicy(),
): Promise<{ patientId: string; until: string }> {
  const patient = await db.patient.findUnique({ where: { id: input.patientId }, select: { id: true } });
  if (!patient) throw new UserFacingError("This patient does not exist.");
  const until = new Date(Date.now() + policy.breakGlassMinutes * 60_000);
  await recordAudit(db, ctx, {
    action: "patient.break_glass",
    targetType: "patient",
    targetId: patient.id,
    patientId: patient.id,
    // The reason is the clinician's own words about why, which a reviewer needs; it names no other patient.
    details: { reason: input.reason, minutes: policy.breakGlassMinutes, scoping: policy.scoping },
  });
  return { patientId: patient.id, until: until.toISOString() };
}
