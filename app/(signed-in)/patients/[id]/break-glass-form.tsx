"use client";

// Shown instead of a patient outside the clinician's care teams: the record opens only after a reason, which the
// audit log keeps (patient.break_glass).
import { useRouter } from "next/navigation";
import { FormMessage, TextAreaField } from "@/components/form-fields";
import { useFormAction } from "@/components/use-form-action";
import { breakGlassAction } from "@/lib/patients/actions";

export function BreakGlassForm({ patientId, minutes }: { patientId: string; minutes: number }) {
  const router = useRouter();
  const { pending, onSubmit, fieldErrors, error } = useFormAction(breakGlassAction, () => router.refresh());
  return (
    <form className="stack narrow" onSubmit={onSubmit} noValidate aria-label="Open this patient with a reason">
      <input type="hidden" name="patientId" value={patientId} />
      <TextAreaField
        label="Reason for opening this record"
        name="reason"
        rows={3}
        maxLength={500}
        required
        errors={fieldErrors}
      />
      <FormMessage error={error} />
      <p className="muted">
        The reason, your name and the time are recorded. The record stays open to you for {minutes} minutes.
      </p>
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Opening…" : "Open the record"}
      </button>
    </form>
  );
}
