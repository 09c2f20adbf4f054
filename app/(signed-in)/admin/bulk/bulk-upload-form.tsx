"use client";

// Step 1 of a bulk upload in the browser: declare the files (a draft job), send each in chunks under the proxy's body
// limit, then have the server check everything. The job page shows the outcome per file.
import { useRouter } from "next/navigation";
import { useState } from "react";
import { checkBulkUploadAction, createBulkUploadAction } from "@/lib/bulk/actions";

const CHUNK = 8 * 1024 * 1024;

async function sendFile(jobId: string, index: number, file: File, onBytes: (n: number) => void) {
  for (let offset = 0; offset < file.size || (offset === 0 && file.size === 0); offset += CHUNK) {
    const chunk = file.slice(offset, Math.min(offset + CHUNK, file.size));
    let tries = 0;
    for (;;) {
      const response = await fetch(`/api/bulk/${jobId}/upload?index=${index}&offset=${offset}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: chunk,
      }).catch(() => null);
      if (response?.ok) break;
      const message = response ? ((await response.json().catch(() => ({}))) as { error?: string }).error : undefined;
      // A refusal is final; a lost connection is worth two more tries.
      if ((response && response.status < 500) || ++tries >= 3) {
        throw new Error(message ?? `Sending ${file.name} failed. Check the connection and try again.`);
      }
    }
    onBytes(chunk.size);
    if (file.size === 0) break;
  }
}

export function BulkUploadForm() {
  const router = useRouter();
  const [files, setFiles] = useState<File[]>([]);
  const [manifest, setManifest] = useState<File | null>(null);
  const [phase, setPhase] = useState<"idle" | "uploading" | "checking">("idle");
  const [sent, setSent] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const total = files.reduce((n, f) => n + f.size, 0) + (manifest?.size ?? 0);

  async function submit() {
    setError(null);
    if (files.length === 0) {
      setError("Choose a zip file or the images to upload.");
      return;
    }
    setPhase("uploading");
    setSent(0);
    try {
      const created = await createBulkUploadAction({
        files: files.map((f) => ({ name: f.webkitRelativePath || f.name, size: f.size })),
        manifest: manifest ? { name: manifest.name, size: manifest.size } : undefined,
      });
      if (!created.ok) throw new Error([created.error, ...Object.values(created.fieldErrors ?? {}).flat()].join(" "));
      const jobId = created.data.jobId;
      const all = manifest ? [...files, manifest] : files;
      for (const [index, file] of all.entries()) {
        await sendFile(jobId, index, file, (n) => setSent((s) => s + n));
      }
      setPhase("checking");
      const checked = await checkBulkUploadAction({ jobId });
      // Refused uploads are explained on the job page too.
      if (!checked.ok) throw new Error(checked.error);
      router.push(`/admin/bulk/${jobId}`);
    } catch (e) {
      setError((e as Error).message);
      setPhase("idle");
    }
  }

  const busy = phase !== "idle";
  return (
    <form
      className="panel stack"
      aria-label="Bulk upload"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label className="field">
        <span>Zip file or images</span>
        <input
          type="file"
          name="files"
          multiple
          accept=".zip,application/zip,.dcm,.dicom,image/jpeg,image/png,application/dicom"
          onChange={(e) => setFiles(Array.from(e.target.files ?? []))}
          disabled={busy}
        />
      </label>
      <label className="field">
        <span>Manifest (CSV, optional)</span>
        <input
          type="file"
          name="manifest"
          accept=".csv,text/csv"
          onChange={(e) => setManifest(e.target.files?.[0] ?? null)}
          disabled={busy}
        />
      </label>
      <div>
        <button type="submit" className="primary" disabled={busy}>
          {phase === "uploading" ? "Uploading…" : phase === "checking" ? "Checking…" : "Upload and check"}
        </button>
      </div>
      {phase === "uploading" && (
        <p role="status">
          <progress max={total || 1} value={sent} aria-label="Upload progress" /> Sent {Math.round(sent / 1024 / 1024)}{" "}
          of {Math.round(total / 1024 / 1024)} MB
        </p>
      )}
      {phase === "checking" && <p role="status">Checking every file before anything is stored…</p>}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
