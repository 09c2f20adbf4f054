// Every request passes here (static files aside): while the database does not answer, a 503 with Retry-After at once
// (lib/db/availability.ts) rather than a request that hangs on it; no session sends the user to /login, a clinician
// is kept out of /admin, and the session cookie's idle clock is refreshed. Server actions check roles again
// themselves (lib/actions/define-action.ts).
import NextAuth from "next-auth";
import { NextResponse } from "next/server";
import { baseAuthConfig, isOpenPath } from "@/lib/auth/auth-config";
import { databaseStatus } from "@/lib/db/availability";
import { databaseUnavailableResponse } from "@/lib/http/unavailable";

const { auth } = NextAuth(baseAuthConfig());

// The health endpoint checks the database itself and says so.
const UNGATED = new Set(["/api/health"]);

// next-auth runs the `authorized` callback first (its redirect to /forbidden wins); with a handler of our own it no
// longer sends a visitor without a session to the login page, so that is done here.
export default auth(async (request) => {
  const path = request.nextUrl.pathname;
  if (!UNGATED.has(path)) {
    const database = await databaseStatus();
    if (!database.ok) return databaseUnavailableResponse(request);
  }
  if (!request.auth?.user && !isOpenPath(path)) {
    const login = request.nextUrl.clone();
    login.pathname = "/login";
    login.search = "";
    login.searchParams.set("callbackUrl", request.nextUrl.href);
    return NextResponse.redirect(login);
  }
  return NextResponse.next();
});

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|fonts/).*)"],
};
