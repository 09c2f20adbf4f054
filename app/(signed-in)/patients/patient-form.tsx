"use client";

import { useRouter } from "next/navigation";
import { FormMessage, SelectField, TextAreaField, TextField } from "@/components/form-fields";
import { useFormAction } from "@/components/use-form-action";
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

export function PatientForm({ initial }: { initial?: PatientFormValues }) {
  const router = useRouter();
  const editing = Boolean(initial?.id);
  const {
    onSubmit,
    pending,
    fieldErrors: errors,
    error,
  } = useFormAction(editing ? updatePatientAction : createPatientAction, (data) => router.push(`/patients/${data.id}`));
  return (
    <form onSubmit={onSubmit} className="stack narrow" noValidate>
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
      <FormMessage error={error} />
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Saving…" : editing ? "Save changes" : "Create patient"}
      </button>
    </form>
  );
}
