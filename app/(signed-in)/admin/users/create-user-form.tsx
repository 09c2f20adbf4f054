"use client";

import { useActionState, useRef } from "react";
import { FormMessage, SelectField, TextField } from "@/components/form-fields";
import type { ActionResult } from "@/lib/actions/define-action";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password-policy";
import { createUserAction } from "@/lib/users/actions";

type State = ActionResult<{ id: string }> | null;

export function CreateUserForm() {
  const form = useRef<HTMLFormElement>(null);
  const [state, formAction, pending] = useActionState<State, FormData>(async (_previous, formData) => {
    const result = await createUserAction(formData);
    if (result.ok) form.current?.reset();
    return result;
  }, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form ref={form} action={formAction} className="stack narrow" noValidate aria-label="Create a user">
      <TextField label="E-mail" name="email" type="email" autoComplete="off" required errors={errors} />
      <TextField label="Name" name="name" autoComplete="off" required errors={errors} />
      <SelectField
        label="Role"
        name="role"
        defaultValue="clinician"
        options={[
          { value: "clinician", label: "Clinician" },
          { value: "admin", label: "Admin" },
        ]}
        errors={errors}
      />
      <TextField
        label={`Initial password (at least ${MIN_PASSWORD_LENGTH} characters)`}
        name="password"
        type="password"
        autoComplete="new-password"
        required
        errors={errors}
      />
      <FormMessage error={state && !state.ok ? state.error : undefined} />
      {state?.ok && (
        <p className="form-ok" role="status">
          User created.
        </p>
      )}
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Creating…" : "Create user"}
      </button>
    </form>
  );
}
