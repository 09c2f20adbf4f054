"use client";

import { FormMessage, SelectField, TextField } from "@/components/form-fields";
import { useFormAction } from "@/components/use-form-action";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password-policy";
import { createUserAction } from "@/lib/users/actions";

export function CreateUserForm() {
  const {
    state,
    onSubmit,
    pending,
    fieldErrors: errors,
    error,
  } = useFormAction(createUserAction, (_data, form) => form.reset());
  return (
    <form onSubmit={onSubmit} className="stack narrow" noValidate aria-label="Create a user">
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
      <FormMessage error={error} />
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
