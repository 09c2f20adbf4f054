import type { Metadata } from "next";
import { requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { listTokens } from "@/lib/tokens/service";
import { CreateTokenForm } from "./create-token-form";
import { TokenRow } from "./token-row";

export const metadata: Metadata = { title: "API tokens" };

const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : null);

export default async function TokensPage() {
  await requirePageActor(["admin"]);
  const [tokens, users] = await Promise.all([
    listTokens(db()),
    db().user.findMany({
      where: { disabled: false },
      orderBy: { email: "asc" },
      select: { id: true, email: true, name: true, role: true },
    }),
  ]);
  return (
    <section>
      <h1>API tokens</h1>
      <p className="muted">
        A token lets a script or another system use the JSON API (<code>/api/v1</code>) as the user it belongs to, with
        that user&apos;s role. Treat it like a password. Revoking it, or disabling its user, stops it at once.
      </p>
      {tokens.length === 0 ? (
        <p className="empty">No API tokens yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Name</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <TokenRow
                key={t.id}
                token={{
                  id: t.id,
                  name: t.name,
                  prefix: t.prefix,
                  userEmail: t.user.email,
                  userRole: t.user.role,
                  userDisabled: t.user.disabled,
                  createdAt: when(t.createdAt)!,
                  lastUsedAt: when(t.lastUsedAt),
                  revokedAt: when(t.revokedAt),
                }}
              />
            ))}
          </tbody>
        </table>
      )}
      <h2>Create a token</h2>
      <CreateTokenForm users={users} />
    </section>
  );
}
