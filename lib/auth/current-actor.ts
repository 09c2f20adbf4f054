import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { db } from "@/lib/db/client";
import { clientIp } from "@/lib/http/client-ip";
import type { Actor, Role } from "./actor";
import { auth } from "./auth";

/** The signed-in user, re-read from the database: a disabled account or a reset password ends old sessions at once. */
export async function currentActor(): Promise<Actor | null> {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  const user = await db().user.findUnique({ where: { id } });
  if (!user || user.disabled || user.sessionVersion !== session.sessionVersion) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

export async function requestIp(): Promise<string | null> {
  return clientIp(await headers());
}

/** For server components: the page renders only for a signed-in user with one of `roles`. */
export async function requirePageActor(roles?: readonly Role[]): Promise<Actor> {
  const actor = await currentActor();
  if (!actor) redirect("/login");
  if (roles && !roles.includes(actor.role)) redirect("/forbidden");
  return actor;
}
