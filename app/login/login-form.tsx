"use client";

import { useActionState } from "react";
import { FormMessage, TextField } from "@/components/form-fields";
import type { ActionResult } from "@/lib/actions/define-action";
import { loginAction } from "@/lib/auth/actions";

type State = ActionResult<{ redirectTo: string }> | null;

export function LoginForm({ callbackUrl }: { callbackUrl?: string }) {
  const [state, formAction, pending] = useActionState<State, FormData>(async (_previous, formData) => {
    const result = await loginAction(formData);
    // A full navigation, so every server component renders with the new session.
    if (result.ok) window.location.assign(result.data.redirectTo);
    return result;
  }, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  return (
    <form action={formAction} className="stack" noValidate>
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
      <FormMessage error={state && !state.ok ? state.error : undefined} />
      <button type="submit" className="primary" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
