"use client";

import { useState, useTransition } from "react";
import { revokeTokenAction } from "@/lib/tokens/actions";

interface TokenView {
  id: string;
  name: string;
  prefix: string;
  userEmail: string;
  userRole: string;
  userDisabled: boolean;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function TokenRow({ token }: { token: TokenView }) {
  const [pending, startTransition] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  const status = token.revokedAt
    ? `Revoked ${token.revokedAt}`
    : token.userDisabled
      ? "Inactive (user disabled)"
      : "Active";

  return (
    <tr>
      <td>
        {token.userEmail} <span className="badge">{token.userRole}</span>
      </td>
      <td>{token.name}</td>
      <td>
        <code>{token.prefix}…</code>
      </td>
      <td>{token.createdAt}</td>
      <td>{token.lastUsedAt ?? "never"}</td>
      <td>{status}</td>
      <td>
        {!token.revokedAt && (
          <div className="row-actions">
            <button
              type="button"
              disabled={pending}
              onClick={() => {
                if (
                  !window.confirm(
                    `Revoke the token “${token.name}” of ${token.userEmail}? Scripts using it stop working.`,
                  )
                ) {
                  return;
                }
                startTransition(async () => {
                  const result = await revokeTokenAction({ id: token.id });
                  setMessage(result.ok ? "Revoked." : result.error);
                });
              }}
            >
              Revoke {token.name}
            </button>
          </div>
        )}
        {message && (
          <p className="row-message" role="status">
            {message}
          </p>
        )}
      </td>
    </tr>
  );
}
