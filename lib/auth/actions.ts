"use server";

import { AuthError, CredentialsSignin } from "next-auth";
import { z } from "zod";
import { defineAction } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { serverAction } from "@/lib/actions/server-action";
import { recordAudit } from "@/lib/audit/audit-log";
import { db } from "@/lib/db/client";
import { signIn, signOut } from "./auth";
import { loginFailureMessage } from "./login";

const loginInput = z.object({
  email: z.string().trim().min(1, "Enter your e-mail address.").max(320),
  password: z.string().min(1, "Enter your password.").max(1024),
  callbackUrl: z.string().optional(),
});

/** Only a path on this site: an attacker-made login link must not bounce the user to another site. */
function safeCallback(url: string | undefined): string {
  if (!url) return "/patients";
  try {
    const parsed = new URL(url, "http://radtrack.invalid");
    const target = parsed.pathname + parsed.search;
    return target.startsWith("/") && !target.startsWith("//") && target !== "/login" ? target : "/patients";
  } catch {
    return "/patients";
  }
}

export const loginAction = serverAction(
  defineAction({
    name: "auth.login",
    roles: "public",
    input: loginInput,
    handler: async (input) => {
      try {
        await signIn("credentials", { email: input.email, password: input.password, redirect: false });
      } catch (error) {
        if (error instanceof CredentialsSignin) {
          const [reason, seconds] = (error.code ?? "invalid").split(":");
          const known = reason === "locked" || reason === "disabled" ? reason : "invalid";
          throw new UserFacingError(loginFailureMessage(known, Number(seconds) || undefined));
        }
        if (error instanceof AuthError) throw new UserFacingError("Sign-in failed. Try again.");
        throw error;
      }
      return { redirectTo: safeCallback(input.callbackUrl) };
    },
  }),
);

export const logoutAction = serverAction(
  defineAction({
    name: "auth.logout",
    roles: ["admin", "clinician"],
    input: z.object({}),
    handler: async (_input, ctx) => {
      await recordAudit(db(), ctx, {
        action: "auth.logout",
      });
      // Clearing the cookie alone can race with the proxy re-issuing it on the same request; a new session version
      // makes every token issued so far invalid, whatever cookie the browser keeps (it signs out other devices too).
      await db().user.update({ where: { id: ctx.actor.id }, data: { sessionVersion: { increment: 1 } } });
      await signOut({ redirect: false });
      return { redirectTo: "/login" };
    },
  }),
);
