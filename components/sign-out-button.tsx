"use client";

import { useTransition } from "react";
import { logoutAction } from "@/lib/auth/actions";

export function SignOutButton() {
  const [pending, startTransition] = useTransition();
  return (
    <button
      type="button"
      className="link-button"
      disabled={pending}
      onClick={() =>
        startTransition(async () => {
          const result = await logoutAction({});
          window.location.assign(result.ok ? result.data.redirectTo : "/login");
        })
      }
    >
      Sign out
    </button>
  );
}
