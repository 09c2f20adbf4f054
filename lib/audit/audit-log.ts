// The append-only audit trail (the table refuses UPDATE and DELETE). Events carry ids, never names or notes, so the
// trail itself holds no more patient data than it must; server logs get none.
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";

export const AUDIT_ACTIONS = [
  "auth.login.succeeded",
  "auth.login.failed",
  "auth.logout",
  "auth.locked",
  "auth.unlocked",
  "patient.viewed",
  "patient.searched",
  "patient.created",
  "patient.updated",
  "patient.break_glass",
  "care_team.created",
  "care_team.deleted",
  "care_team.member_added",
  "care_team.member_removed",
  "care_team.patient_added",
  "care_team.patient_removed",
  "user.created",
  "user.disabled",
  "user.enabled",
  "user.password_reset",
  "scan.uploaded",
  "scan.gate_overridden",
  "scan.viewed",
  "scan.withdrawn",
  "scan.restored",
  "scan.purged",
  "neighbours.viewed",
  "reference.imported",
  "reference.relabelled",
  "token.created",
  "token.revoked",
  "model.activated",
  "bulk.submitted",
  "bulk.cancelled",
  "dicomweb.received",
  "dicomweb.confirmed",
  "dicomweb.discarded",
  "dicomweb.settings_changed",
  "fhir.read",
  "result.sent",
  "result.send_failed",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEventInput {
  action: AuditAction;
  actorId?: string | null;
  actorEmail?: string | null;
  targetType?: "patient" | "user" | "scan" | "token" | "job" | "care_team" | null;
  targetId?: string | null;
  patientId?: string | null;
  ip?: string | null;
  details?: Prisma.InputJsonObject;
}

/** Who did it and from where: an action's or route's context. No actor: the system, or an anonymous caller. */
export interface AuditContext {
  actor: { id: string; email: string } | null;
  ip: string | null;
}

/** An event without its actor and address, which come from the context. */
export type AuditEvent = Omit<AuditEventInput, "actorId" | "actorEmail" | "ip">;

/** The row of an event done by ctx's actor from ctx's address: the one place that copies them. */
export function auditRow(ctx: AuditContext | null | undefined, event: AuditEvent) {
  return {
    action: event.action,
    actorId: ctx?.actor?.id ?? null,
    actorEmail: ctx?.actor?.email ?? null,
    targetType: event.targetType ?? null,
    targetId: event.targetId ?? null,
    patientId: event.patientId ?? null,
    ip: ctx?.ip ?? null,
    details: event.details ?? {},
  };
}

/**
 * Appends one event. Pass the caller's context (`recordAudit(db, ctx, event)`) so that actor and address are taken
 * from it; an event whose actor is not the caller (a login attempt names the account tried) passes them itself.
 */
export async function recordAudit(db: Db | Prisma.TransactionClient, event: AuditEventInput): Promise<void>;
export async function recordAudit(
  db: Db | Prisma.TransactionClient,
  ctx: AuditContext | null | undefined,
  event: AuditEvent,
): Promise<void>;
export async function recordAudit(
  db: Db | Prisma.TransactionClient,
  ctxOrEvent: AuditContext | AuditEventInput | null | undefined,
  maybeEvent?: AuditEvent,
): Promise<void> {
  const data = maybeEvent
    ? auditRow(ctxOrEvent as AuditContext | null | undefined, maybeEvent)
    : explicitRow(ctxOrEvent as AuditEventInput);
  await db.auditEvent.create({ data });
}

function explicitRow(event: AuditEventInput) {
  return {
    ...auditRow({ actor: null, ip: event.ip ?? null }, event),
    actorId: event.actorId ?? null,
    actorEmail: event.actorEmail ?? null,
  };
}

export interface AuditFilter {
  action?: string;
  actor?: string;
  patientId?: string;
  from?: Date;
  to?: Date;
  /** Show events with an id below this one (keyset pagination, newest first). */
  before?: bigint;
  limit?: number;
}

export async function listAudit(db: Db, filter: AuditFilter) {
  const limit = Math.min(filter.limit ?? 100, 500);
  const rows = await db.auditEvent.findMany({
    where: {
      ...(filter.action ? { action: { startsWith: filter.action } } : {}),
      ...(filter.actor ? { actorEmail: { contains: filter.actor, mode: "insensitive" as const } } : {}),
      ...(filter.patientId ? { patientId: filter.patientId } : {}),
      ...(filter.from || filter.to ? { at: { gte: filter.from, lt: filter.to } } : {}),
      ...(filter.before !== undefined ? { id: { lt: filter.before } } : {}),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
  });
  return { events: rows.slice(0, limit), hasMore: rows.length > limit };
}
