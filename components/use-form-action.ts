"use client";

// Submits a form to a server action without React's automatic form reset: a refused submit keeps what the user
// typed, so they correct one field instead of retyping all of them.
import { useState, useTransition, type FormEvent } from "react";
import type { ActionResult } from "@/lib/actions/define-action";

export function useFormAction<T>(
  action: (data: FormData) => Promise<ActionResult<T>>,
  onSuccess?: (data: T, form: HTMLFormElement) => void,
) {
  const [state, setState] = useState<ActionResult<T> | null>(null);
  const [pending, startTransition] = useTransition();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    startTransition(async () => {
      const result = await action(data);
      setState(result);
      if (result.ok) onSuccess?.(result.data, form);
    });
  }
  return {
    state,
    pending,
    onSubmit,
    fieldErrors: state && !state.ok ? state.fieldErrors : undefined,
    error: state && !state.ok ? state.error : undefined,
  };
}
