import type { Metadata } from "next";
import { requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { listUsers } from "@/lib/users/service";
import { CreateUserForm } from "./create-user-form";
import { UserRow } from "./user-row";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const actor = await requirePageActor(["admin"]);
  const users = await listUsers(db());
  return (
    <section>
      <h1>Users</h1>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">E-mail</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Last sign-in</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <UserRow
              key={u.id}
              user={{
                ...u,
                lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
                lockedUntil: u.lockedUntil?.toISOString() ?? null,
              }}
              isSelf={u.id === actor.id}
            />
          ))}
        </tbody>
      </table>
      <h2>Create a user</h2>
      <CreateUserForm />
    </section>
  );
}
