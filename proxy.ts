// Every request passes here (static files aside): a server action from another site is refused (403), as is one over
// the upload limit (413); while the database does not answer, a 503 with Retry-After at once (lib/db/availability.ts)
// rather than a request that hangs on it; no session sends the user to /login, a clinician is kept out of /admin,
// and the session cookie's idle clock is refreshed. Each response gets a Content-Security-Policy with a fresh nonce,
// which Next.js reads from the request and puts on its own scripts. Server actions check roles again themselves
// (lib/actions/define-action.ts).
import NextAuth from "next-auth";
import { NextResponse } from "next/server";
import { baseAuthConfig, isOpenPath } from "@/lib/auth/auth-config";
import { uploadLimits } from "@/lib/config";
import { databaseStatus } from "@/lib/db/availability";
import { contentSecurityPolicy, crossOriginAction, newNonce, oversizedAction } from "@/lib/http/security-headers";
import { databaseUnavailableResponse } from "@/lib/http/unavailable";

const { auth } = NextAuth(baseAuthConfig());

// The health endpoint checks the database itself and says so.
const UNGATED = new Set(["/api/health"]);

// next-auth runs the `authorized` callback first (its redirect to /forbidden wins); with a handler of our own it no
// longer sends a visitor without a session to the login page, so that is done here.
export default auth(async (request) => {
  const path = request.nextUrl.pathname;
  const refused = crossOriginAction(request) ?? oversizedAction(request, uploadLimits().maxBytes);
  if (refused) return refused;
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
  const csp = contentSecurityPolicy(newNonce(), process.env.NODE_ENV === "development");
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
});

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|fonts/).*)"],
};
