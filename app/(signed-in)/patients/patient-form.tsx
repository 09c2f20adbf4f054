"use client";

import { useRouter } from "next/navigation";
import { useActionState } from "react";
import { FormMessage, SelectField, TextAreaField, TextField } from "@/components/form-fields";
import type { ActionResult } from "@/lib/actions/define-action";
import { createPatientAction, updatePatientAction } from "@/lib/patients/actions";
import { SEXES } from "@/lib/patients/schemas";

export interface PatientFormValues {
  id?: string;
  mrn: string;
  name: string;
  sex: string;
  birthYear: number | null;
  notes: string;
}

type State = ActionResult<{ id: string }> | null;

export function PatientForm({ initial }: { initial?: PatientFormValues }) {
  const router = useRouter();
  const editing = Boolean(initial?.id);
  const [state, formAction, pending] = useActionState<State, FormData>(async (_previous, formData) => {
    const result = editing ? await updatePatientAction(formData) : await createPatientAction(formData);
    if (result.ok) router.push(`/patients/${result.data.id}`);
    return result;
  }, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={formAction} className="stack narrow" noValidate>
      {initial?.id && <input type="hidden" name="id" value={initial.id} />}
      <TextField label="MRN" name="mrn" defaultValue={initial?.mrn} required errors={errors} autoComplete="off" />
      <TextField label="Name" name="name" defaultValue={initial?.name} required errors={errors} autoComplete="off" />
      <SelectField
        label="Sex"
        name="sex"
        defaultValue={initial?.sex ?? "unknown"}
        options={SEXES.map((s) => ({ value: s, label: s[0]!.toUpperCase() + s.slice(1) }))}
        errors={errors}
      />
      <TextField
        label="Birth year"
        name="birthYear"
        inputMode="numeric"
        defaultValue={initial?.birthYear ?? ""}
        errors={errors}
      />
      <TextAreaField label="Notes" name="notes" rows={4} defaultValue={initial?.notes} errors={errors} />
      <FormMessage error={state && !state.ok ? state.error : undefined} />
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Saving…" : editing ? "Save changes" : "Create patient"}
      </button>
    </form>
  );
}
