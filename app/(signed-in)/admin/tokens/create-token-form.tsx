"use client";

import { useActionState, useRef, useState } from "react";
import { FormMessage, SelectField, TextField } from "@/components/form-fields";
import type { ActionResult } from "@/lib/actions/define-action";
import { createTokenAction } from "@/lib/tokens/actions";

type Created = { id: string; token: string; prefix: string; userEmail: string; name: string };
type State = ActionResult<Created> | null;

interface UserOption {
  id: string;
  email: string;
  name: string;
  role: string;
}

export function CreateTokenForm({ users }: { users: UserOption[] }) {
  const form = useRef<HTMLFormElement>(null);
  const [copied, setCopied] = useState(false);
  const [state, formAction, pending] = useActionState<State, FormData>(async (_previous, formData) => {
    setCopied(false);
    const result = await createTokenAction(formData);
    if (result.ok) form.current?.reset();
    return result;
  }, null);
  const errors = state && !state.ok ? state.fieldErrors : undefined;
  const created = state?.ok ? state.data : null;

  return (
    <>
      <form ref={form} action={formAction} className="stack narrow" noValidate aria-label="Create an API token">
        <SelectField
          label="User the token acts as"
          name="userId"
          options={users.map((u) => ({ value: u.id, label: `${u.email} (${u.role})` }))}
          errors={errors}
        />
        <TextField
          label="Name (what uses it, e.g. PACS bridge)"
          name="name"
          autoComplete="off"
          maxLength={100}
          required
          errors={errors}
        />
        <FormMessage error={state && !state.ok ? state.error : undefined} />
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Creating…" : "Create token"}
        </button>
      </form>
      {created && (
        <div className="panel stack" role="status" aria-live="polite">
          <p className="form-ok">
            Token “{created.name}” created for {created.userEmail}. Copy it now: it is shown only this once.
          </p>
          <label className="field">
            <span>API token</span>
            <input
              readOnly
              value={created.token}
              aria-label="New API token"
              onFocus={(e) => e.currentTarget.select()}
              style={{ fontFamily: "monospace", width: "100%" }}
            />
          </label>
          <div className="row-actions">
            <button
              type="button"
              onClick={async () => {
                try {
                  await navigator.clipboard.writeText(created.token);
                  setCopied(true);
                } catch {
                  setCopied(false);
                }
              }}
            >
              {copied ? "Copied" : "Copy to clipboard"}
            </button>
          </div>
          <p className="muted">
            Use it as <code>Authorization: Bearer {created.prefix}…</code>; see docs/api.md.
          </p>
        </div>
      )}
    </>
  );
}
