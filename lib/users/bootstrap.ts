// The first admin: from RADTRACK_ADMIN_EMAIL / RADTRACK_ADMIN_PASSWORD when set, otherwise with a generated one-time
// password that is printed once. There is no built-in default account.
import { randomBytes } from "node:crypto";
import { hashPassword } from "@/lib/auth/password";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password-policy";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";

export type BootstrapResult = { created: false } | { created: true; email: string; generatedPassword?: string };

export async function ensureFirstAdmin(
  db: Db,
  options: { email?: string; password?: string },
): Promise<BootstrapResult> {
  if ((await db.user.count()) > 0) return { created: false };
  const email = (options.email ?? "admin@radtrack.local").trim().toLowerCase();
  if (options.password !== undefined && options.password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`RADTRACK_ADMIN_PASSWORD needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  const generatedPassword = options.password ? undefined : randomBytes(12).toString("base64url");
  const password = options.password ?? generatedPassword!;
  try {
    await db.user.create({
      data: { email, name: "Administrator", role: "admin", passwordHash: await hashPassword(password) },
    });
  } catch (error) {
    // Another web server starting at the same moment created it first.
    if (isUniqueViolation(error)) return { created: false };
    throw error;
  }
  return { created: true, email, generatedPassword };
}
