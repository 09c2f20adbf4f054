// The credential check behind the login form: throttling, password verification and the audit trail of every
// attempt. Independent of next-auth so that it is tested directly against the database.
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import type { Actor } from "./actor";
import { burnPasswordCheck, verifyPassword } from "./password";
import { activeLock, recordLoginFailure, recordLoginSuccess, type Lock, type LoginThrottle } from "./rate-limit";

export type LoginOutcome =
  | { ok: true; actor: Actor; sessionVersion: number }
  | { ok: false; reason: "invalid" | "disabled" | "locked"; retryAfterSeconds?: number };

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function secondsUntil(lock: Lock, now: number): number {
  return Math.max(1, Math.ceil((lock.until.getTime() - now) / 1000));
}

export async function checkLogin(
  db: Db,
  throttle: LoginThrottle,
  input: { email: string; password: string; ip: string | null },
): Promise<LoginOutcome> {
  const email = normaliseEmail(input.email);
  const ipKey = input.ip ?? "unknown";
  const lock = await activeLock(db, throttle, email, ipKey);
  if (lock) {
    await recordAudit(db, {
      action: "auth.login.failed",
      actorEmail: email,
      ip: input.ip,
      details: { reason: "locked", scope: lock.scope },
    });
    return { ok: false, reason: "locked", retryAfterSeconds: secondsUntil(lock, throttle.now()) };
  }
  const user = await db.user.findFirst({ where: { email: { equals: email, mode: "insensitive" } } });
  const passwordOk = user
    ? await verifyPassword(user.passwordHash, input.password)
    : (await burnPasswordCheck(input.password), false);
  if (!user || !passwordOk) {
    const locks = await recordLoginFailure(db, throttle, email, ipKey);
    await recordAudit(db, {
      action: "auth.login.failed",
      actorId: user?.id ?? null,
      actorEmail: email,
      ip: input.ip,
      details: { reason: user ? "wrong_password" : "unknown_account" },
    });
    for (const started of locks) {
      await recordAudit(db, {
        action: "auth.locked",
        actorId: user?.id ?? null,
        actorEmail: email,
        targetType: user ? "user" : null,
        targetId: user?.id ?? null,
        ip: input.ip,
        details: { scope: started.scope, until: started.until.toISOString() },
      });
    }
    const longest = locks.sort((a, b) => b.until.getTime() - a.until.getTime())[0];
    return longest
      ? { ok: false, reason: "locked", retryAfterSeconds: secondsUntil(longest, throttle.now()) }
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
  await recordLoginSuccess(db, email, ipKey);
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
      const seconds = retryAfterSeconds ?? 60;
      if (seconds < 60)
        return `Too many failed sign-in attempts. Try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
      const minutes = Math.ceil(seconds / 60);
      return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
    }
  }
}
