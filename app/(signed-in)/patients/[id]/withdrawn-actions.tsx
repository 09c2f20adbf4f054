"use client";

// An admin's choices for a withdrawn film: put it back, or purge it for good. Purging asks for the word PURGE to be
// typed, because nothing brings the files back afterwards (the audit log keeps the record).
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition, type FormEvent } from "react";
import { FormMessage } from "@/components/form-fields";
import { purgeScanAction, restoreScanAction } from "@/lib/scans/actions";

const CONFIRM_WORD = "PURGE";

export function WithdrawnActions({ scanId, date }: { scanId: string; date: string }) {
  const router = useRouter();
  const dialog = useRef<HTMLDialogElement>(null);
  const [isOpen, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [pending, startTransition] = useTransition();
  useEffect(() => {
    if (isOpen && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [isOpen]);

  function restore() {
    setError(undefined);
    startTransition(async () => {
      const result = await restoreScanAction({ scanId });
      if (!result.ok) setError(result.error);
      else router.refresh();
    });
  }

  function purge(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (typed.trim() !== CONFIRM_WORD) {
      setError(`Type ${CONFIRM_WORD} to confirm, or cancel.`);
      return;
    }
    setError(undefined);
    startTransition(async () => {
      const result = await purgeScanAction({ scanId });
      if (!result.ok) setError(result.error);
      else {
        dialog.current?.close();
        router.refresh();
      }
    });
  }

  const titleId = `purge-${scanId}-title`;
  return (
    <div className="row-actions">
      <button type="button" onClick={restore} disabled={pending}>
        Restore
      </button>
      <button type="button" className="danger" onClick={() => setOpen(true)} aria-haspopup="dialog" disabled={pending}>
        Purge…
      </button>
      {!isOpen && <FormMessage error={error} />}
      <dialog
        ref={dialog}
        className="confirm-dialog"
        aria-labelledby={titleId}
        onClose={() => {
          setOpen(false);
          setTyped("");
          setError(undefined);
        }}
      >
        {isOpen && (
          <form className="stack" onSubmit={purge} noValidate>
            <h3 id={titleId}>Purge the withdrawn scan of {date}?</h3>
            <p className="muted">
              This deletes the original file, its previews and every record of the scan for good; only the audit log
              keeps that it existed. It cannot be undone.
            </p>
            <label className="field">
              <span>Type {CONFIRM_WORD} to confirm</span>
              <input
                name="confirm"
                autoComplete="off"
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                aria-invalid={Boolean(error)}
                autoFocus
              />
            </label>
            <FormMessage error={error} />
            <div className="row-actions">
              <button type="submit" className="danger" disabled={pending}>
                {pending ? "Purging…" : "Purge for good"}
              </button>
              <button type="button" onClick={() => dialog.current?.close()} disabled={pending}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </dialog>
    </div>
  );
}
