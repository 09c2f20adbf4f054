// Accounts: created, disabled and re-enabled, given new passwords and unlocked by admins only.
import { type ActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import { normaliseEmail } from "@/lib/auth/login";
import { hashPassword } from "@/lib/auth/password";
import { clearAccountThrottles, lockedAccounts } from "@/lib/auth/rate-limit";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import type { CreateUserInput } from "./schemas";

export async function createUser(db: Db, input: CreateUserInput, ctx: ActionContext) {
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email: input.email, name: input.name, role: input.role, passwordHash },
      });
      await recordAudit(tx, ctx, {
        action: "user.created",
        targetType: "user",
        targetId: user.id,
        details: { role: input.role },
      });
      return { id: user.id };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new UserFacingError("This e-mail address already has an account.", {
        email: [`${input.email} already has an account.`],
      });
    }
    throw error;
  }
}

export async function setUserDisabled(db: Db, input: { id: string; disabled: boolean }, ctx: ActionContext) {
  if (input.id === ctx.actor.id && input.disabled) {
    throw new UserFacingError("You cannot disable your own account.");
  }
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: input.id } });
    if (!user) throw new UserFacingError("This user no longer exists.");
    if (input.disabled && user.role === "admin" && !user.disabled) {
      const activeAdmins = await tx.user.count({ where: { role: "admin", disabled: false } });
      if (activeAdmins <= 1) throw new UserFacingError("Radtrack needs at least one active admin.");
    }
    await tx.user.update({
      where: { id: input.id },
      // Disabling also invalidates the sessions the user already holds.
      data: { disabled: input.disabled, sessionVersion: input.disabled ? { increment: 1 } : undefined },
    });
    await recordAudit(tx, ctx, {
      action: input.disabled ? "user.disabled" : "user.enabled",
      targetType: "user",
      targetId: input.id,
    });
    return { id: input.id, disabled: input.disabled };
  });
}

export async function resetPassword(db: Db, input: { id: string; password: string }, ctx: ActionContext) {
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: input.id } });
    if (!user) throw new UserFacingError("This user no longer exists.");
    await tx.user.update({
      where: { id: input.id },
      data: { passwordHash, sessionVersion: { increment: 1 } },
    });
    await recordAudit(tx, ctx, {
      action: "user.password_reset",
      targetType: "user",
      targetId: input.id,
    });
    return { id: input.id };
  });
}

/** Clears the sign-in locks and failure counts of an account from every address, audited as auth.unlocked. */
export async function unlockUser(db: Db, input: { id: string }, ctx: ActionContext) {
  const user = await db.user.findUnique({ where: { id: input.id } });
  if (!user) throw new UserFacingError("This user no longer exists.");
  const cleared = await clearAccountThrottles(db, normaliseEmail(user.email));
  await recordAudit(db, ctx, {
    action: "auth.unlocked",
    targetType: "user",
    targetId: user.id,
    details: { cleared },
  });
  return { id: user.id, cleared };
}

export async function listUsers(db: Db) {
  const [users, locked] = await Promise.all([
    db.user.findMany({
      orderBy: [{ disabled: "asc" }, { email: "asc" }],
      select: { id: true, email: true, name: true, role: true, disabled: true, lastLoginAt: true },
    }),
    lockedAccounts(db),
  ]);
  return users.map((u) => ({ ...u, lockedUntil: locked.get(normaliseEmail(u.email)) ?? null }));
}
