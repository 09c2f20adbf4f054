import type { Metadata } from "next";
import Link from "next/link";
import { requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { searchPatients } from "@/lib/patients/service";

export const metadata: Metadata = { title: "Patients" };

export default async function PatientsPage({ searchParams }: { searchParams: Promise<{ q?: string; page?: string }> }) {
  await requirePageActor();
  const { q = "", page = "1" } = await searchParams;
  const result = await searchPatients(db(), { q: q.slice(0, 200), page: Number.parseInt(page, 10) || 1 });
  const pages = Math.max(1, Math.ceil(result.total / result.pageSize));
  const pageLink = (p: number) => `/patients?${new URLSearchParams({ ...(q ? { q } : {}), page: String(p) })}`;
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
        <button type="submit">Search</button>
      </form>
      {result.patients.length === 0 ? (
        <p className="empty">{q ? `No patient matches “${q}”.` : "No patients yet. Create the first one."}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">MRN</th>
              <th scope="col">Name</th>
              <th scope="col">Sex</th>
              <th scope="col">Birth year</th>
              <th scope="col">Scans</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {result.patients.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link href={`/patients/${p.id}`}>{p.mrn}</Link>
                </td>
                <td>{p.name}</td>
                <td>{p.sex}</td>
                <td>{p.birthYear ?? "—"}</td>
                <td>{p._count.scans}</td>
                <td>
                  <time dateTime={p.updatedAt.toISOString()}>{p.updatedAt.toISOString().slice(0, 10)}</time>
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
