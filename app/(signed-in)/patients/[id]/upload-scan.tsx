"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, useTransition } from "react";
import { SCAN_VIEWS } from "@/lib/domain";
import { formatBytes } from "@/lib/image/errors";
import { uploadScanAction } from "@/lib/scans/actions";

const VIEWS = ["", ...SCAN_VIEWS] as const;

export function UploadScan({
  patientId,
  canOverrideGate,
  maxBytes,
}: {
  patientId: string;
  canOverrideGate: boolean;
  maxBytes: number;
}) {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<{ kind: "error" | "ok"; text: string } | null>(null);

  function submit(form: HTMLFormElement) {
    if (!file) {
      setMessage({ kind: "error", text: "Choose an image file to upload." });
      return;
    }
    // The server refuses such a body with 413 before reading it; saying so here spares sending 60 MB for nothing.
    if (file.size > maxBytes) {
      setMessage({
        kind: "error",
        text: `The file is ${formatBytes(file.size)}, which is larger than the limit of ${formatBytes(maxBytes)} per scan. Nothing was stored.`,
      });
      return;
    }
    const data = new FormData(form);
    data.set("file", file);
    data.set("patientId", patientId);
    startTransition(async () => {
      let result: Awaited<ReturnType<typeof uploadScanAction>>;
      try {
        result = await uploadScanAction(data);
      } catch {
        // A refusal before the action ran (413, 403, 503): the status is all the browser gets.
        setMessage({ kind: "error", text: "The server did not accept the upload. Nothing was stored; try again." });
        return;
      }
      if (!result.ok) {
        const details = Object.values(result.fieldErrors ?? {}).flat();
        setMessage({ kind: "error", text: [result.error, ...details].join(" ") });
        return;
      }
      setMessage({ kind: "ok", text: ["Scan uploaded.", ...result.data.warnings].join(" ") });
      setFile(null);
      form.reset();
      // One navigation, one render of the new scan's page (and one patient.viewed / neighbours.viewed event).
      router.push(`/patients/${patientId}?scan=${result.data.scanId}`, { scroll: false });
    });
  }

  return (
    <form
      className="upload"
      aria-label="Upload a scan"
      onSubmit={(e) => {
        e.preventDefault();
        submit(e.currentTarget);
      }}
    >
      <div
        className={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          const dropped = e.dataTransfer.files[0];
          if (dropped) setFile(dropped);
        }}
      >
        <p>
          {file ? `${file.name} (${Math.ceil(file.size / 1024)} KB)` : "Drop a chest X-ray here (DICOM, JPEG or PNG)"}
        </p>
        <label className="button">
          Choose file
          <input
            ref={input}
            className="sr-only"
            type="file"
            name="file"
            accept=".dcm,.dicom,image/jpeg,image/png,application/dicom"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </label>
      </div>
      <div className="upload-fields">
        <label className="field">
          <span>Acquisition date (blank: from the DICOM file, else today)</span>
          <input type="date" name="acquiredAt" min="1895-01-01" max={new Date().toISOString().slice(0, 10)} />
        </label>
        <label className="field">
          <span>Time (optional, orders films of one day)</span>
          <input type="time" name="acquiredTime" />
        </label>
        <label className="field">
          <span>View</span>
          <select name="view" defaultValue="">
            {VIEWS.map((v) => (
              <option key={v} value={v}>
                {v || "From the file / unknown"}
              </option>
            ))}
          </select>
        </label>
        {canOverrideGate && (
          <details className="gate-override">
            <summary>Accept a film the frontal-film check refused (admins)</summary>
            <label className="field">
              <span>Reason (kept in the audit log)</span>
              <input
                type="text"
                name="overrideGateReason"
                minLength={5}
                maxLength={500}
                placeholder="e.g. real portable AP film, checked by the reporting radiologist"
              />
            </label>
          </details>
        )}
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Uploading and embedding…" : "Upload scan"}
        </button>
      </div>
      {message && (
        <p
          className={message.kind === "error" ? "form-error" : "form-ok"}
          role={message.kind === "error" ? "alert" : "status"}
        >
          {message.text}
        </p>
      )}
    </form>
  );
}
