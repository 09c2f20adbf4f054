// Patient records: create, edit, find, and open (which the audit trail must see).
import { type ActionContext, type PublicActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import type { Prisma } from "@/lib/db/generated/client";
import type { Actor } from "@/lib/auth/actor";
import { accessPolicy, requirePatientAccess, visiblePatients } from "./access";
import type { CreatePatientInput, UpdatePatientInput } from "./schemas";

function duplicateMrn(mrn: string): UserFacingError {
  return new UserFacingError(`A patient with MRN ${mrn} already exists.`, {
    mrn: [`MRN ${mrn} is already registered. Search for it instead of creating it again.`],
  });
}

/**
 * Under care-team scoping a clinician's new patient joins the clinician's own teams, so that it does not vanish
 * from their list the moment it is created. Admins assign teams on /admin/teams.
 */
async function joinCreatorsTeams(tx: Prisma.TransactionClient, patientId: string, actor: Actor) {
  if (accessPolicy().scoping !== "care-team" || actor.role === "admin") return;
  const teams = await tx.careTeamMember.findMany({ where: { userId: actor.id }, select: { teamId: true } });
  if (teams.length) await tx.careTeamPatient.createMany({ data: teams.map((t) => ({ teamId: t.teamId, patientId })) });
}

/**
 * A new patient, its care teams and its patient.created event, inside the caller's transaction (a bulk job creates
 * patients together with its own rows). `details` says where the record came from (ids only). Under care-team
 * scoping the patient joins its creator's teams, unless `creatorsTeams` is false: an image source (the PACS) whose
 * patients join the team its own setting names, whoever's credentials delivered the file.
 */
export async function insertPatient(
  tx: Prisma.TransactionClient,
  input: CreatePatientInput,
  ctx: PublicActionContext,
  details?: Prisma.InputJsonObject,
  options: { creatorsTeams?: boolean } = {},
): Promise<{ id: string }> {
  const patient = await tx.patient.create({
    data: {
      mrn: input.mrn,
      name: input.name,
      sex: input.sex,
      birthYear: input.birthYear ?? null,
      notes: input.notes,
    },
  });
  if (ctx.actor && options.creatorsTeams !== false) await joinCreatorsTeams(tx, patient.id, ctx.actor);
  await recordAudit(tx, ctx, {
    action: "patient.created",
    targetType: "patient",
    targetId: patient.id,
    patientId: patient.id,
    details,
  });
  return { id: patient.id };
}

export async function createPatient(db: Db, input: CreatePatientInput, ctx: ActionContext) {
  try {
    return await db.$transaction((tx) => insertPatient(tx, input, ctx));
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateMrn(input.mrn);
    throw error;
  }
}

export async function updatePatient(db: Db, input: UpdatePatientInput, ctx: ActionContext) {
  await requirePatientAccess(db, ctx.actor, input.id);
  try {
    return await db.$transaction(async (tx) => {
      const before = await tx.patient.findUnique({ where: { id: input.id } });
      if (!before) throw new UserFacingError("This patient no longer exists.");
      await tx.patient.update({
        where: { id: input.id },
        data: {
          mrn: input.mrn,
          name: input.name,
          sex: input.sex,
          birthYear: input.birthYear ?? null,
          notes: input.notes,
        },
      });
      const changed = (["mrn", "name", "sex", "birthYear", "notes"] as const).filter(
        (k) => (before[k] ?? null) !== ((input[k] as unknown) ?? null),
      );
      await recordAudit(tx, ctx, {
        action: "patient.updated",
        targetType: "patient",
        targetId: input.id,
        patientId: input.id,
        details: { fields: changed },
      });
      return { id: input.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicateMrn(input.mrn);
    throw error;
  }
}

export const PATIENT_SORTS = ["updated", "severity", "last_scan", "trend", "mrn"] as const;
export type PatientSort = (typeof PATIENT_SORTS)[number];
export const STATUS_FILTERS = ["worsening", "stable", "improving", "insufficient"] as const;

export interface PatientSearch {
  q?: string;
  page?: number;
  pageSize?: number;
  sort?: PatientSort;
  status?: (typeof STATUS_FILTERS)[number];
  alertsOnly?: boolean;
}

function orderFor(sort: PatientSort | undefined) {
  // Patients without a summary (no scans) sort last whatever the direction.
  switch (sort) {
    case "severity":
      return [{ summary: { latestIndex: { sort: "desc", nulls: "last" } } }, { id: "asc" }] as const;
    case "last_scan":
      return [{ summary: { lastScanAt: { sort: "desc", nulls: "last" } } }, { id: "asc" }] as const;
    case "trend":
      return [{ summary: { slopePerWeek: { sort: "desc", nulls: "last" } } }, { id: "asc" }] as const;
    case "mrn":
      return [{ mrn: "asc" }] as const;
    default:
      return [{ updatedAt: "desc" }, { id: "asc" }] as const;
  }
}

/** What every list of patients shows of each (the page and the scripts' lookup), beside its own summary columns. */
const LIST_ROW = {
  id: true,
  mrn: true,
  name: true,
  sex: true,
  birthYear: true,
  updatedAt: true,
  _count: { select: { scans: { where: { withdrawnAt: null } } } },
} satisfies Prisma.PatientSelect;

export async function searchPatients(db: Db, search: PatientSearch, viewer: Actor) {
  const q = search.q?.trim() ?? "";
  const pageSize = Math.min(Math.max(search.pageSize ?? 25, 1), 100);
  const page = Math.max(search.page ?? 1, 1);
  const where: Prisma.PatientWhereInput = {
    ...visiblePatients(viewer),
    ...(q
      ? {
          OR: [
            { mrn: { contains: q, mode: "insensitive" as const } },
            { name: { contains: q, mode: "insensitive" as const } },
          ],
        }
      : {}),
    ...(search.status || search.alertsOnly
      ? {
          summary: {
            ...(search.status ? { status: search.status } : {}),
            ...(search.alertsOnly ? { alertCount: { gt: 0 } } : {}),
          },
        }
      : {}),
  };
  const [total, patients] = await Promise.all([
    db.patient.count({ where }),
    db.patient.findMany({
      where,
      orderBy: [...orderFor(search.sort)],
      skip: (page - 1) * pageSize,
      take: pageSize,
      select: {
        ...LIST_ROW,
        summary: {
          select: {
            latestIndex: true,
            latestExtent: true,
            latestRegion: true,
            slopePerWeek: true,
            status: true,
            alertCount: true,
            latestAlert: true,
            lastScanAt: true,
            modelId: true,
            libraryStamp: true,
            scanCount: true,
          },
        },
      },
    }),
  ]);
  return { total, page, pageSize, patients };
}

export interface PatientLookup {
  /** Exact MRN (case-insensitive). */
  mrn?: string;
  /** Part of the MRN or the name. */
  q?: string;
  /** The last MRN of the previous page (keyset paging: stable while patients are added). */
  after?: string;
  limit: number;
}

/** A page of patients in MRN order, for scripts: one more row than asked tells whether a next page exists. */
export async function lookupPatients(db: Db, lookup: PatientLookup, viewer: Actor) {
  const q = lookup.q?.trim() ?? "";
  const rows = await db.patient.findMany({
    where: {
      AND: [
        visiblePatients(viewer),
        lookup.mrn ? { mrn: { equals: lookup.mrn, mode: "insensitive" as const } } : {},
        q
          ? {
              OR: [
                { mrn: { contains: q, mode: "insensitive" as const } },
                { name: { contains: q, mode: "insensitive" as const } },
              ],
            }
          : {},
        lookup.after !== undefined ? { mrn: { gt: lookup.after } } : {},
      ],
    },
    orderBy: { mrn: "asc" },
    take: lookup.limit + 1,
    select: {
      ...LIST_ROW,
      summary: { select: { latestIndex: true, latestExtent: true, status: true, alertCount: true, lastScanAt: true } },
    },
  });
  const page = rows.slice(0, lookup.limit);
  return { patients: page, next: rows.length > lookup.limit ? page[page.length - 1]!.mrn : null };
}

/**
 * A search of the patient list (page or API) names the patients it showed: who looked for whom is part of the
 * record, the search text is not kept (it may be a name).
 */
export function recordPatientSearch(
  db: Db,
  ctx: ActionContext,
  details: { via: "page" | "api"; patientIds: string[]; filtered: boolean },
) {
  return recordAudit(db, ctx, {
    action: "patient.searched",
    details: {
      via: details.via,
      filtered: details.filtered,
      results: details.patientIds.length,
      patientIds: details.patientIds,
    },
  });
}

/** Every read of a patient's record (page, API, export) leaves the same `patient.viewed` event. */
export function recordPatientView(db: Db, patientId: string, ctx: ActionContext, details?: Prisma.InputJsonObject) {
  return recordAudit(db, ctx, {
    action: "patient.viewed",
    targetType: "patient",
    targetId: patientId,
    patientId,
    details,
  });
}

/**
 * Loads a patient for display and records that this user looked at it. Throws BreakGlassRequiredError for a patient
 * outside a scoped clinician's care teams (lib/patients/access.ts).
 */
export async function openPatient(db: Db, id: string, ctx: ActionContext) {
  const patient = await db.patient.findUnique({ where: { id } });
  if (!patient) return null;
  await requirePatientAccess(db, ctx.actor, patient.id);
  await recordPatientView(db, patient.id, ctx);
  return patient;
}
