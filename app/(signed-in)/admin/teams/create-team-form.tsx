"use client";

import { FormMessage, TextField } from "@/components/form-fields";
import { useFormAction } from "@/components/use-form-action";
import { createTeamAction } from "@/lib/care-teams/actions";

export function CreateTeamForm() {
  const { pending, onSubmit, fieldErrors, error } = useFormAction(createTeamAction, (_data, form) => form.reset());
  return (
    <form className="stack narrow" onSubmit={onSubmit} noValidate aria-label="Create a care team">
      <TextField label="Team name" name="name" maxLength={100} required autoComplete="off" errors={fieldErrors} />
      <FormMessage error={error} />
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Creating…" : "Create team"}
      </button>
    </form>
  );
}
