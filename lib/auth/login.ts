// The credential check behind the login form: throttling, password verification and the audit trail of every
// attempt. Independent of next-auth so that it is tested directly against the database.
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import type { Actor } from "./actor";
import { burnPasswordCheck, verifyPassword } from "./password";
import type { LoginLimiters } from "./rate-limit";

export type LoginOutcome =
  | { ok: true; actor: Actor; sessionVersion: number }
  | { ok: false; reason: "invalid" | "disabled" | "locked"; retryAfterSeconds?: number };

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function checkLogin(
  db: Db,
  limiters: LoginLimiters,
  input: { email: string; password: string; ip: string | null },
): Promise<LoginOutcome> {
  const email = normaliseEmail(input.email);
  const ipKey = input.ip ?? "unknown";
  const wait = Math.max(limiters.account.retryAfter(email), limiters.address.retryAfter(ipKey));
  if (wait > 0) {
    await recordAudit(db, {
      action: "auth.login.failed",
      actorEmail: email,
      ip: input.ip,
      details: { reason: "locked" },
    });
    return { ok: false, reason: "locked", retryAfterSeconds: Math.ceil(wait / 1000) };
  }
  const user = await db.user.findFirst({ where: { email: { equals: email, mode: "insensitive" } } });
  const passwordOk = user
    ? await verifyPassword(user.passwordHash, input.password)
    : (await burnPasswordCheck(input.password), false);
  if (!user || !passwordOk) {
    limiters.account.recordFailure(email);
    limiters.address.recordFailure(ipKey);
    await recordAudit(db, {
      action: "auth.login.failed",
      actorId: user?.id ?? null,
      actorEmail: email,
      ip: input.ip,
      details: { reason: user ? "wrong_password" : "unknown_account" },
    });
    const lockedNow = Math.max(limiters.account.retryAfter(email), limiters.address.retryAfter(ipKey));
    return lockedNow > 0
      ? { ok: false, reason: "locked", retryAfterSeconds: Math.ceil(lockedNow / 1000) }
      : { ok: false, reason: "invalid" };
  }
  if (user.disabled) {
    await recordAudit(db, {
      action: "auth.login.failed",
      actorId: user.id,
      actorEmail: email,
      ip: input.ip,
      details: { reason: "disabled" },
    });
    return { ok: false, reason: "disabled" };
  }
  limiters.account.reset(email);
  await db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  await recordAudit(db, { action: "auth.login.succeeded", actorId: user.id, actorEmail: user.email, ip: input.ip });
  return {
    ok: true,
    actor: { id: user.id, email: user.email, name: user.name, role: user.role },
    sessionVersion: user.sessionVersion,
  };
}

export function loginFailureMessage(reason: "invalid" | "disabled" | "locked", retryAfterSeconds?: number): string {
  switch (reason) {
    case "invalid":
      return "Wrong e-mail address or password.";
    case "disabled":
      return "This account is disabled. Ask an administrator to re-enable it.";
    case "locked": {
      const minutes = Math.max(1, Math.ceil((retryAfterSeconds ?? 60) / 60));
      return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
    }
  }
}
