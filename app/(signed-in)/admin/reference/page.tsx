import type { Metadata } from "next";
import Link from "next/link";
import { SelectField, TextField } from "@/components/form-fields";
import { requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { thumbnailUrl } from "@/lib/neighbours";
import { listReferences } from "@/lib/reference/labels";
import { REFERENCE_CLASSES } from "@/lib/domain";
import { referenceListQuery } from "@/lib/reference/schemas";
import { RelabelForm } from "./relabel-form";

export const metadata: Metadata = { title: "Reference library" };

type Params = Record<string, string | undefined>;

const score = (v: number | null) => (v === null ? "—" : v.toFixed(1));

export default async function ReferenceLibraryPage({ searchParams }: { searchParams: Promise<Params> }) {
  await requirePageActor(["admin"]);
  const query = referenceListQuery.parse(await searchParams);
  const { rows, total, page, pages, sources } = await listReferences(db(), query);
  const kept = Object.fromEntries(
    Object.entries({ class: query.class, source: query.source, q: query.q }).filter((e): e is [string, string] =>
      Boolean(e[1]),
    ),
  );
  const pageHref = (p: number) => `/admin/reference?${new URLSearchParams({ ...kept, page: String(p) })}`;
  return (
    <section>
      <h1>Reference library</h1>
      <p className="muted">
        The labelled scans every neighbour search draws from. Correcting a class is recorded in the audit log, and every
        patient&apos;s severity values are recomputed in the background (see Status). Import a corpus folder with{" "}
        <code>npm run import:reference -- &lt;folder&gt;</code>.
      </p>
      <form className="filters" action="/admin/reference">
        <SelectField
          label="Class"
          name="class"
          defaultValue={query.class ?? ""}
          options={[{ value: "", label: "All classes" }, ...REFERENCE_CLASSES.map((c) => ({ value: c, label: c }))]}
        />
        <SelectField
          label="Source"
          name="source"
          defaultValue={query.source ?? ""}
          options={[{ value: "", label: "All sources" }, ...sources.map((s) => ({ value: s, label: s }))]}
        />
        <TextField label="Source id contains" name="q" defaultValue={query.q ?? ""} />
        <button type="submit">Filter</button>
        <Link href="/admin/reference">Clear</Link>
      </form>
      <p aria-live="polite">
        {total} reference {total === 1 ? "scan" : "scans"}
        {pages > 1 ? `, page ${page} of ${pages}` : ""}
      </p>
      {rows.length === 0 ? (
        <p className="empty">No reference scans match these filters.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Scan</th>
              <th scope="col">Source id</th>
              <th scope="col">Source</th>
              <th scope="col">Finding</th>
              <th scope="col">Age group</th>
              <th scope="col">Extent / opacity</th>
              <th scope="col">Class</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.scanId}>
                <td>
                  {/* eslint-disable-next-line @next/next/no-img-element -- an authenticated API image, not a static asset */}
                  <img src={thumbnailUrl(r.scanId)} alt={`Reference scan ${r.sourceId}`} width={64} height={64} />
                </td>
                <td>{r.sourceId}</td>
                <td>{r.source}</td>
                <td>{r.finding ?? "—"}</td>
                <td>{r.ageGroup ?? "—"}</td>
                <td>
                  {score(r.geographicMean)} / {score(r.opacityMean)}
                </td>
                <td>
                  <RelabelForm scanId={r.scanId} sourceId={r.sourceId} current={r.class} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          {page > 1 && <Link href={pageHref(page - 1)}>Previous page</Link>}
          {page < pages && <Link href={pageHref(page + 1)}>Next page</Link>}
        </nav>
      )}
    </section>
  );
}
