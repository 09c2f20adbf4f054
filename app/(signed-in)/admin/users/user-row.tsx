"use client";

import { useState, useTransition } from "react";
import type { ActionResult } from "@/lib/actions/define-action";
import { resetPasswordAction, setUserDisabledAction, unlockUserAction } from "@/lib/users/actions";

interface UserView {
  id: string;
  email: string;
  name: string;
  role: string;
  disabled: boolean;
  lastLoginAt: string | null;
  /** Sign-in is throttled for this account (from some address, or a delay for all) until then. */
  lockedUntil: string | null;
}

export function UserRow({ user, isSelf }: { user: UserView; isSelf: boolean }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const [resetting, setResetting] = useState(false);

  const report = (result: ActionResult<unknown>, ok: string) =>
    setMessage(result.ok ? ok : [result.error, ...Object.values(result.fieldErrors ?? {}).flat()].join(" "));

  return (
    <tr>
      <td>{user.email}</td>
      <td>{user.name}</td>
      <td>{user.role}</td>
      <td>
        {user.disabled ? "Disabled" : "Active"}
        {user.lockedUntil && <> · sign-in locked until {user.lockedUntil.slice(11, 16)} UTC</>}
      </td>
      <td>{user.lastLoginAt ? user.lastLoginAt.slice(0, 16).replace("T", " ") : "never"}</td>
      <td>
        <div className="row-actions">
          {!isSelf && (
            <button
              type="button"
              disabled={pending}
              onClick={() =>
                startTransition(async () =>
                  report(
                    await setUserDisabledAction({ id: user.id, disabled: !user.disabled }),
                    user.disabled ? "Enabled." : "Disabled.",
                  ),
                )
              }
            >
              {user.disabled ? `Enable ${user.email}` : `Disable ${user.email}`}
            </button>
          )}
          {user.lockedUntil && (
            <button
              type="button"
              disabled={pending}
              onClick={() =>
                startTransition(async () => report(await unlockUserAction({ id: user.id }), "Sign-in lock cleared."))
              }
            >
              Unlock {user.email}
            </button>
          )}
          {resetting ? (
            <form
              className="inline-form"
              action={(formData) =>
                startTransition(async () => {
                  const result = await resetPasswordAction({ id: user.id, password: formData.get("password") });
                  report(result, "Password reset; the user's sessions were ended.");
                  if (result.ok) setResetting(false);
                })
              }
            >
              <label>
                <span className="sr-only">New password for {user.email}</span>
                <input name="password" type="password" autoComplete="new-password" placeholder="New password" />
              </label>
              <button type="submit" disabled={pending}>
                Save
              </button>
            </form>
          ) : (
            <button type="button" onClick={() => setResetting(true)}>
              Reset password
            </button>
          )}
        </div>
        {message && (
          <p className="row-message" role="status">
            {message}
          </p>
        )}
      </td>
    </tr>
  );
}
