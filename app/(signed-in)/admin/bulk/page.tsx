import type { Metadata } from "next";
import Link from "next/link";
import { requirePageActor } from "@/lib/auth/current-actor";
import { bulkLimits } from "@/lib/bulk/limits";
import { listBulkJobs, payloadOf } from "@/lib/bulk/service";
import { db } from "@/lib/db/client";
import { formatBytes } from "@/lib/image";
import { BulkUploadForm } from "./bulk-upload-form";

export const metadata: Metadata = { title: "Bulk upload" };

const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "");

export default async function BulkUploadPage() {
  await requirePageActor(["admin"]);
  const jobs = await listBulkJobs(db());
  const limits = bulkLimits();
  return (
    <section>
      <h1>Bulk upload</h1>
      <p className="muted">
        Upload a zip file or many images at once (JPEG, PNG, DICOM), with an optional CSV manifest whose columns are{" "}
        <code>mrn</code>, <code>acquired_at</code> (YYYY-MM-DD), <code>file</code> (the name in the zip) and{" "}
        <code>view</code>. Without a manifest, DICOM files say whose they are (PatientID = MRN) and when they were
        taken. Everything is checked before any work starts; patients that are not registered are listed for you to
        confirm. Limits: {limits.maxFiles} files, {formatBytes(limits.maxTotalBytes)} unpacked.
      </p>
      <BulkUploadForm />
      <h2>Recent bulk uploads</h2>
      {jobs.length === 0 ? (
        <p className="empty">No bulk uploads yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Files</th>
              <th scope="col">Status</th>
              <th scope="col">Done</th>
              <th scope="col">Failed</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => {
              const payload = payloadOf(job);
              return (
                <tr key={job.id}>
                  <td>
                    <Link href={`/admin/bulk/${job.id}`}>{when(job.createdAt)}</Link>
                  </td>
                  <td>
                    {payload.uploads
                      .filter((u) => !u.manifest)
                      .map((u) => u.name)
                      .join(", ")
                      .slice(0, 80)}
                  </td>
                  <td>{job.status === "draft" ? `draft (${payload.phase})` : job.status}</td>
                  <td>
                    {job.processed} / {job.total}
                  </td>
                  <td>{job.failed}</td>
                  <td>{when(job.finishedAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
