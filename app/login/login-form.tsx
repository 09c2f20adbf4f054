"use client";

import { FormMessage, TextField } from "@/components/form-fields";
import { useFormAction } from "@/components/use-form-action";
import { loginAction } from "@/lib/auth/actions";

export function LoginForm({ callbackUrl }: { callbackUrl?: string }) {
  // A full navigation after success, so every server component renders with the new session.
  const {
    onSubmit,
    pending,
    fieldErrors: errors,
    error,
  } = useFormAction(loginAction, (data) => window.location.assign(data.redirectTo));
  return (
    <form onSubmit={onSubmit} className="stack" noValidate>
      <input type="hidden" name="callbackUrl" value={callbackUrl ?? "/patients"} />
      <TextField label="E-mail" name="email" type="email" autoComplete="username" required errors={errors} />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="current-password"
        required
        errors={errors}
      />
      <FormMessage error={error} />
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
