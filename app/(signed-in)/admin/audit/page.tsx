import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { AUDIT_ACTIONS, listAudit } from "@/lib/audit/audit-log";
import { requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";

export const metadata: Metadata = { title: "Audit log" };

const filterSchema = z.object({
  action: z.enum(AUDIT_ACTIONS).optional().catch(undefined),
  actor: z.string().trim().max(320).optional().catch(undefined),
  patient: z.uuid().optional().catch(undefined),
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
  before: z.string().regex(/^\d+$/).optional().catch(undefined),
});

type Params = Record<string, string | undefined>;

export default async function AuditPage({ searchParams }: { searchParams: Promise<Params> }) {
  await requirePageActor(["admin"]);
  const raw = await searchParams;
  const filter = filterSchema.parse(raw);
  const to = filter.to ? new Date(`${filter.to}T00:00:00Z`) : undefined;
  if (to) to.setUTCDate(to.getUTCDate() + 1);
  const { events, hasMore } = await listAudit(db(), {
    action: filter.action,
    actor: filter.actor || undefined,
    patientId: filter.patient,
    from: filter.from ? new Date(`${filter.from}T00:00:00Z`) : undefined,
    to,
    before: filter.before ? BigInt(filter.before) : undefined,
  });
  const kept = Object.fromEntries(
    Object.entries({
      action: filter.action,
      actor: filter.actor,
      patient: filter.patient,
      from: filter.from,
      to: filter.to,
    }).filter((e): e is [string, string] => Boolean(e[1])),
  );
  const last = events.at(-1);
  return (
    <section>
      <h1>Audit log</h1>
      <form className="filters" action="/admin/audit">
        <label className="field">
          <span>Event</span>
          <select name="action" defaultValue={filter.action ?? ""}>
            <option value="">All events</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>User e-mail contains</span>
          <input name="actor" defaultValue={filter.actor ?? ""} />
        </label>
        <label className="field">
          <span>Patient id</span>
          <input name="patient" defaultValue={filter.patient ?? ""} />
        </label>
        <label className="field">
          <span>From (UTC)</span>
          <input type="date" name="from" defaultValue={filter.from ?? ""} />
        </label>
        <label className="field">
          <span>To (UTC, inclusive)</span>
          <input type="date" name="to" defaultValue={filter.to ?? ""} />
        </label>
        <button type="submit">Filter</button>
        <Link href="/admin/audit">Clear</Link>
      </form>
      {events.length === 0 ? (
        <p className="empty">No events match these filters.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Event</th>
              <th scope="col">User</th>
              <th scope="col">Target</th>
              <th scope="col">Patient</th>
              <th scope="col">IP</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id.toString()}>
                <td>
                  <time dateTime={e.at.toISOString()}>{e.at.toISOString().replace("T", " ").slice(0, 19)}</time>
                </td>
                <td>{e.action}</td>
                <td>{e.actorEmail ?? "—"}</td>
                <td>{e.targetType ? `${e.targetType} ${e.targetId ?? ""}` : "—"}</td>
                <td>{e.patientId ? <Link href={`/patients/${e.patientId}`}>{e.patientId.slice(0, 8)}</Link> : "—"}</td>
                <td>{e.ip ?? "—"}</td>
                <td>
                  <code>{JSON.stringify(e.details) === "{}" ? "" : JSON.stringify(e.details)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {hasMore && last && (
        <nav className="pager" aria-label="Pages">
          <Link href={`/admin/audit?${new URLSearchParams({ ...kept, before: last.id.toString() })}`}>
            Older events
          </Link>
        </nav>
      )}
    </section>
  );
}
