import NextAuth, { CredentialsSignin } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { db } from "@/lib/db/client";
import { clientIp } from "@/lib/http/client-ip";
import { baseAuthConfig } from "./auth-config";
import { authLogger } from "./auth-logger";
import { checkLogin } from "./login";
import { createLoginThrottle } from "./rate-limit";

/** The code travels in the redirect URL: it names the kind of refusal and the wait, nothing about the account. */
class LoginRefused extends CredentialsSignin {
  constructor(code: string) {
    super();
    this.code = code;
  }
}

const credentialsSchema = z.object({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(1024),
});

const base = baseAuthConfig();

export const { handlers, auth, signIn, signOut } = NextAuth({
  ...base,
  logger: authLogger(),
  providers: [
    Credentials({
      credentials: { email: { label: "E-mail", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(raw, request) {
        const parsed = credentialsSchema.safeParse(raw);
        if (!parsed.success) throw new LoginRefused("invalid");
        const outcome = await checkLogin(db(), createLoginThrottle(), {
          ...parsed.data,
          ip: clientIp(request.headers),
        });
        if (!outcome.ok) {
          throw new LoginRefused(
            outcome.reason === "locked" ? `locked:${outcome.retryAfterSeconds ?? 60}` : outcome.reason,
          );
        }
        return { ...outcome.actor, sessionVersion: outcome.sessionVersion };
      },
    }),
  ],
});
