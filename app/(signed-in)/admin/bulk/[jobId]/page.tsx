import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { requirePageActor } from "@/lib/auth/current-actor";
import { BulkNotFoundError, jobProgress, jobView } from "@/lib/bulk/service";
import { db } from "@/lib/db/client";
import styles from "../bulk.module.css";
import { CancelJobButton } from "./cancel-button";
import { JobProgress } from "./job-progress";
import { StartJobForm } from "./start-form";

export const metadata: Metadata = { title: "Bulk upload" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHOWN = 500;

const STATUS_TEXT: Record<string, string> = {
  refused: "refused",
  needs_patient: "needs patient",
  ready: "ready",
  stored: "stored",
  duplicate: "already stored",
  failed: "failed",
  cancelled: "cancelled",
};

export default async function BulkJobPage({ params }: { params: Promise<{ jobId: string }> }) {
  await requirePageActor(["admin"]);
  const { jobId } = await params;
  if (!UUID.test(jobId)) notFound();
  let view;
  try {
    view = await jobView(db(), jobId.toLowerCase(), SHOWN);
  } catch (error) {
    if (error instanceof BulkNotFoundError) notFound();
    throw error;
  }
  const { job, payload, counts, items, missing } = view;
  const progress = await jobProgress(db(), job.id);
  const draft = job.status === "draft";
  const active = job.status === "queued" || job.status === "running";
  const rows = counts.refused + counts.needs_patient + counts.ready + counts.stored + counts.duplicate;
  const allRows = rows + counts.failed + counts.cancelled;

  return (
    <section>
      <div className="section-head">
        <h1>Bulk upload</h1>
        <Link href="/admin/bulk">All bulk uploads</Link>
      </div>
      <dl className="facts">
        <dt>Status</dt>
        <dd data-testid="job-status">{draft ? `checked, not started` : job.status}</dd>
        <dt>Files</dt>
        <dd>{payload.uploads.map((u) => u.name).join(", ")}</dd>
        <dt>Created</dt>
        <dd>{job.createdAt.toISOString().slice(0, 16).replace("T", " ")}</dd>
        {job.error && (
          <>
            <dt>Note</dt>
            <dd>{job.error}</dd>
          </>
        )}
      </dl>

      {payload.phase === "refused" && (
        <div className="panel" role="alert">
          <h2>The upload was refused</h2>
          <p>Nothing was stored. Fix the problems below and upload again.</p>
          <ul className={styles.problems}>
            {(payload.problems ?? []).map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </div>
      )}

      {draft && payload.phase === "uploading" && (
        <p className="muted">The files of this upload were not all received or not checked yet. Upload them again.</p>
      )}

      {draft && payload.phase === "checked" && (
        <div className="panel">
          <h2>Checked: ready to start</h2>
          <p>
            {counts.ready} file{counts.ready === 1 ? "" : "s"} ready, {counts.refused} refused
            {missing.length > 0 && `, ${counts.needs_patient} waiting for a patient to be created`}. Nothing has been
            stored yet.
          </p>
          <StartJobForm jobId={job.id} missing={missing} ready={counts.ready} />
        </div>
      )}

      {(active || job.status === "succeeded" || (job.status === "cancelled" && job.startedAt)) && (
        <div className="panel">
          <h2>Progress</h2>
          <JobProgress jobId={job.id} initial={progress} />
        </div>
      )}

      {(draft || active) && (
        <p>
          <CancelJobButton jobId={job.id} draft={draft} />
        </p>
      )}

      {allRows > 0 && (
        <>
          <div className="section-head">
            <h2>Files</h2>
            <a className="button" href={`/api/bulk/${job.id}/report`} download>
              Download the report (CSV)
            </a>
          </div>
          <p className="muted">
            {Object.entries(counts)
              .filter(([, n]) => n > 0)
              .map(([status, n]) => `${n} ${STATUS_TEXT[status]}`)
              .join(", ")}
            {allRows > SHOWN && ` (the first ${SHOWN} are listed; the report has them all)`}
          </p>
          <table className="table" aria-label="Files of this upload">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">MRN</th>
                <th scope="col">Acquired</th>
                <th scope="col">Status</th>
                <th scope="col">Scan or reason</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id}>
                  <td>{item.file}</td>
                  <td>
                    {item.patientId && item.status !== "refused" ? (
                      <Link href={`/patients/${item.patientId}`}>{item.mrn}</Link>
                    ) : (
                      item.mrn
                    )}
                  </td>
                  <td>{item.acquiredAt?.toISOString().slice(0, 10)}</td>
                  <td className={styles[`status-${item.status}`]}>{STATUS_TEXT[item.status]}</td>
                  <td className={styles.reason}>
                    {item.status === "stored" && item.patientId ? (
                      <Link href={`/patients/${item.patientId}?scan=${item.scanId}`}>{item.scanId}</Link>
                    ) : null}
                    {item.reason && <span> {item.reason}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
