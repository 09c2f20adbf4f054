import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { requestIp, requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { PATIENT_SORTS, recordPatientSearch, searchPatients, STATUS_FILTERS } from "@/lib/patients/service";
import { summaryIsStale } from "@/lib/timeline/staleness";
import { readContext } from "@/lib/timeline/timeline";
import { AutoRefresh } from "@/components/auto-refresh";
import { SeedProgressLine, seedIsRunning } from "@/components/seed-status";
import { loadConfig } from "@/lib/config";
import { readSeedProgress, type SeedProgress } from "@/lib/reference/seed-progress";
import { trendArrow } from "./[id]/drift-summary";

export const metadata: Metadata = { title: "Patients" };

const paramsSchema = z.object({
  q: z.string().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10_000).optional().catch(undefined),
  sort: z.enum(PATIENT_SORTS).optional().catch(undefined),
  status: z.enum(STATUS_FILTERS).optional().catch(undefined),
  alerts: z.literal("1").optional().catch(undefined),
});

const SORT_LABEL: Record<(typeof PATIENT_SORTS)[number], string> = {
  updated: "Recently updated",
  severity: "Latest severity (highest first)",
  last_scan: "Last scan (newest first)",
  trend: "Trend (worsening first)",
  mrn: "MRN",
};

export default async function PatientsPage({ searchParams }: { searchParams: Promise<Record<string, string>> }) {
  const actor = await requirePageActor();
  const params = paramsSchema.parse(await searchParams);
  const result = await searchPatients(
    db(),
    {
      q: params.q,
      page: params.page,
      sort: params.sort,
      status: params.status,
      alertsOnly: params.alerts === "1",
    },
    actor,
  );
  // The page only reads: summaries left stale by an import, a model switch or a bulk job are marked "updating" while
  // the drift queue recomputes them (lib/timeline/refresh.ts), never recomputed here.
  const current = await readContext(db()).catch(() => null);
  const updating = new Set(
    current ? result.patients.filter((p) => summaryIsStale(p.summary, p._count.scans, current)).map((p) => p.id) : [],
  );
  await recordPatientSearch(
    db(),
    { actor, ip: await requestIp() },
    {
      via: "page",
      filtered: Boolean(params.q || params.status || params.alerts),
      patientIds: result.patients.map((p) => p.id),
    },
  );
  const seed = await readSeedProgress(loadConfig().dataDir);
  const q = params.q ?? "";
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const kept = Object.fromEntries(
    Object.entries({ q, sort: params.sort, status: params.status, alerts: params.alerts }).filter(
      (e): e is [string, string] => Boolean(e[1]),
    ),
  );
  const pageLink = (p: number) => `/patients?${new URLSearchParams({ ...kept, page: String(p) })}`;
  return (
    <section>
      <div className="section-head">
        <h1>Patients</h1>
        <Link href="/patients/new" className="button primary">
          New patient
        </Link>
      </div>
      <form role="search" className="search" action="/patients">
        <label htmlFor="patient-search" className="sr-only">
          Search by MRN or name
        </label>
        <input id="patient-search" name="q" type="search" defaultValue={q} placeholder="Search by MRN or name" />
        <label className="field">
          <span>Sort</span>
          <select name="sort" defaultValue={params.sort ?? "updated"}>
            {PATIENT_SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABEL[s]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Status</span>
          <select name="status" defaultValue={params.status ?? ""}>
            <option value="">Any status</option>
            {STATUS_FILTERS.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" name="alerts" value="1" defaultChecked={params.alerts === "1"} /> With alerts only
        </label>
        <button type="submit">Search</button>
      </form>
      {seed && seedIsRunning(seed) && <Preparing progress={seed} />}
      {result.patients.length === 0 ? (
        <EmptyList
          q={q}
          filtered={Boolean(params.q || params.status || params.alerts)}
          preparing={seedIsRunning(seed)}
        />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">MRN</th>
              <th scope="col">Name</th>
              <th scope="col">Latest severity</th>
              <th scope="col">Trend</th>
              <th scope="col">Status</th>
              <th scope="col">Last scan</th>
              <th scope="col">Scans</th>
              <th scope="col">Alerts</th>
            </tr>
          </thead>
          <tbody>
            {result.patients.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link href={`/patients/${p.id}`}>{p.mrn}</Link>
                </td>
                <td>{p.name}</td>
                <td>
                  {p.summary?.latestIndex == null ? (
                    "—"
                  ) : (
                    <span className={`class-${p.summary.latestRegion}`}>
                      {p.summary.latestExtent == null
                        ? p.summary.latestIndex.toFixed(2)
                        : `${p.summary.latestExtent.toFixed(1)} / 8`}{" "}
                      {p.summary.latestRegion}
                    </span>
                  )}
                </td>
                <td
                  aria-label={
                    p.summary?.slopePerWeek == null ? "no trend" : `${p.summary.slopePerWeek.toFixed(3)} per week`
                  }
                >
                  {trendArrow(p.summary?.slopePerWeek ?? null, p.summary?.latestExtent == null ? 1 : 8)}
                </td>
                <td className={p.summary ? `status-${p.summary.status}` : undefined}>
                  {p.summary?.status ?? "—"}
                  {updating.has(p.id) && (
                    <span className="updating" title="Being recomputed for the current model and reference library">
                      {" "}
                      (updating)
                    </span>
                  )}
                </td>
                <td>{p.summary?.lastScanAt ? p.summary.lastScanAt.toISOString().slice(0, 10) : "—"}</td>
                <td>{p._count.scans}</td>
                <td>
                  {p.summary && p.summary.alertCount > 0 ? (
                    <span className="alert-badge" title={p.summary.latestAlert ? "The latest scan alerts" : undefined}>
                      {p.summary.alertCount}
                    </span>
                  ) : (
                    ""
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          {result.page > 1 && <Link href={pageLink(result.page - 1)}>Previous</Link>}
          <span>
            Page {result.page} of {pages} ({result.total} patients)
          </span>
          {result.page < pages && <Link href={pageLink(result.page + 1)}>Next</Link>}
        </nav>
      )}
    </section>
  );
}

/** While the first start prepares its library and demo patients: what is happening, how far, and a self-refresh. */
function Preparing({ progress }: { progress: SeedProgress }) {
  return (
    <div className="empty preparing" role="status">
      <p>
        Radtrack is preparing its reference library and demo patients from the public corpus. Patients appear here as
        they are ready; this page refreshes itself.
      </p>
      <p>
        <strong>
          <SeedProgressLine progress={progress} />
        </strong>
      </p>
      <AutoRefresh seconds={5} />
    </div>
  );
}

/** An empty list says why: no match for the filters, or no patients yet. */
function EmptyList({ q, filtered, preparing }: { q: string; filtered: boolean; preparing: boolean }) {
  if (filtered) {
    return <p className="empty">{q ? `No patient matches “${q}”.` : "No patients match these filters. Clear them."}</p>;
  }
  if (preparing) return null;
  return <p className="empty">No patients yet. Create one with “New patient”.</p>;
}
