"use client";

// "Withdraw" on the selected scan: a confirmation dialog with the reason (required, kept in the audit log and shown
// under "Withdrawn films"). The scan leaves the timeline, the drift and the lists at once; an admin can restore it.
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { FormMessage, TextAreaField } from "@/components/form-fields";
import { useFormAction } from "@/components/use-form-action";
import { withdrawScanAction } from "@/lib/scans/actions";
import { WITHDRAW_REASON_MAX } from "@/lib/scans/schemas";

export function WithdrawScan({
  patientId,
  scanId,
  date,
}: {
  patientId: string;
  scanId: string;
  /** The film's day, with its time when recorded (two films of one day must not read alike). */
  date: string;
}) {
  const router = useRouter();
  const dialog = useRef<HTMLDialogElement>(null);
  const [isOpen, setOpen] = useState(false);
  const { pending, onSubmit, fieldErrors, error } = useFormAction(withdrawScanAction, () => {
    dialog.current?.close();
    router.replace(`/patients/${patientId}`, { scroll: false });
    router.refresh();
  });
  useEffect(() => {
    if (isOpen && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [isOpen]);
  const titleId = `withdraw-${scanId}-title`;
  return (
    <>
      <button type="button" onClick={() => setOpen(true)} aria-haspopup="dialog">
        Withdraw
      </button>
      <dialog ref={dialog} className="confirm-dialog" aria-labelledby={titleId} onClose={() => setOpen(false)}>
        {isOpen && (
          <form className="stack" onSubmit={onSubmit} noValidate>
            <h3 id={titleId}>Withdraw the scan of {date}?</h3>
            <p className="muted">
              Use this for a film uploaded to the wrong patient, or one that is not a chest radiograph. It leaves the
              timeline, the trend and the patient list at once and is listed under “Withdrawn films”; an admin can
              restore it. To move it to the right patient, withdraw it here and upload the file there.
            </p>
            <input type="hidden" name="scanId" value={scanId} />
            <TextAreaField
              label="Reason for withdrawing"
              name="reason"
              rows={3}
              maxLength={WITHDRAW_REASON_MAX}
              required
              autoFocus
              errors={fieldErrors}
            />
            <FormMessage error={fieldErrors ? undefined : error} />
            <div className="row-actions">
              <button type="submit" className="danger" disabled={pending}>
                {pending ? "Withdrawing…" : "Withdraw scan"}
              </button>
              <button type="button" onClick={() => dialog.current?.close()} disabled={pending}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}
