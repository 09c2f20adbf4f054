// The part of the next-auth configuration that needs no database: shared by proxy.ts (which only reads and refreshes
// the session cookie) and lib/auth/auth.ts (which adds the credentials provider).
import type { NextAuthConfig } from "next-auth";
import { loadConfig } from "@/lib/config";
import type { Role } from "./actor";
import { judgeSession } from "./session-policy";

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Paths open without a session: the login page, and /api and /dicomweb, which authenticate each request themselves. */
export function isOpenPath(path: string): boolean {
  return path === "/login" || path.startsWith("/api/") || path.startsWith("/dicomweb/");
}

export function baseAuthConfig(): NextAuthConfig {
  const cfg = loadConfig();
  const policy = { idleSeconds: cfg.idleTimeoutSeconds, maxAgeSeconds: cfg.sessionMaxAgeSeconds };
  return {
    trustHost: true,
    pages: { signIn: "/login", error: "/login" },
    session: { strategy: "jwt", maxAge: cfg.sessionMaxAgeSeconds },
    providers: [],
    callbacks: {
      jwt({ token, user }) {
        const now = nowSeconds();
        if (user) {
          token.uid = user.id;
          token.role = user.role;
          token.sv = user.sessionVersion;
          token.loginAt = now;
          token.lastSeenAt = now;
          return token;
        }
        if (typeof token.loginAt !== "number" || typeof token.lastSeenAt !== "number") return null;
        // Returning null clears the cookie: the user lands on the login page.
        if (judgeSession({ loginAt: token.loginAt, lastSeenAt: token.lastSeenAt }, now, policy) !== "active") {
          return null;
        }
        token.lastSeenAt = now;
        return token;
      },
      session({ session, token }) {
        session.user.id = String(token.uid ?? "");
        session.user.role = token.role as Role;
        session.sessionVersion = Number(token.sv ?? 0);
        return session;
      },
      authorized({ auth, request }) {
        const path = request.nextUrl.pathname;
        if (isOpenPath(path)) return true;
        if (!auth?.user) return false;
        if (path.startsWith("/admin") && auth.user.role !== "admin") {
          return Response.redirect(new URL("/forbidden", request.nextUrl));
        }
        return true;
      },
    },
  };
}
