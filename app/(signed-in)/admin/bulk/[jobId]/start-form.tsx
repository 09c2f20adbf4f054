"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { submitBulkUploadAction } from "@/lib/bulk/actions";
import type { MissingPatient } from "@/lib/bulk/service";

export function StartJobForm({ jobId, missing, ready }: { jobId: string; missing: MissingPatient[]; ready: number }) {
  const router = useRouter();
  const [create, setCreate] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const files = ready + (create ? missing.reduce((n, m) => n + m.files, 0) : 0);

  return (
    <form
      aria-label="Start the bulk upload"
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        startTransition(async () => {
          const result = await submitBulkUploadAction({ jobId, createPatients: create });
          if (!result.ok) {
            setError(result.error);
            return;
          }
          router.refresh();
        });
      }}
    >
      {missing.length > 0 && (
        <fieldset>
          <legend>
            {missing.length} MRN{missing.length === 1 ? " is" : "s are"} not registered
          </legend>
          <ul>
            {missing.map((m) => (
              <li key={m.mrn}>
                <strong>{m.mrn}</strong>
                {m.name ? ` (${m.name}, from the DICOM header)` : ""}: {m.files} file{m.files === 1 ? "" : "s"}
              </li>
            ))}
          </ul>
          <label className="checkbox">
            <input
              type="checkbox"
              name="createPatients"
              checked={create}
              onChange={(e) => setCreate(e.target.checked)}
            />
            {missing.length === 1 ? "Create this patient" : `Create these ${missing.length} patients`}
          </label>
          {!create && <p className="muted">Unticked, their files are left out (reported as refused).</p>}
        </fieldset>
      )}
      <div>
        <button type="submit" className="primary" disabled={pending || files === 0}>
          {pending ? "Starting…" : `Start: process ${files} file${files === 1 ? "" : "s"}`}
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
