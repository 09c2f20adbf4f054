"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { cancelBulkUploadAction } from "@/lib/bulk/actions";

export function CancelJobButton({ jobId, draft }: { jobId: string; draft: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  return (
    <>
      <button
        type="button"
        disabled={pending}
        onClick={() => {
          const question = draft
            ? "Discard this upload? Nothing has been stored."
            : "Cancel this job? Scans stored so far stay; the other files are not processed.";
          if (!window.confirm(question)) return;
          startTransition(async () => {
            const result = await cancelBulkUploadAction({ jobId });
            if (!result.ok) setError(result.error);
            router.refresh();
          });
        }}
      >
        {draft ? "Discard this upload" : "Cancel the job"}
      </button>
      {error && (
        <span className="form-error" role="alert">
          {" "}
          {error}
        </span>
      )}
    </>
  );
}
