// Every page request passes here: no session sends the user to /login, a clinician is kept out of /admin, and the
// session cookie's idle clock is refreshed. Server actions check roles again themselves (lib/actions/define-action.ts).
import NextAuth from "next-auth";
import { baseAuthConfig } from "@/lib/auth/auth-config";

const { auth } = NextAuth(baseAuthConfig());
export default auth;

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico|fonts/).*)"],
};
