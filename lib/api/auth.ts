// Who is calling: a bearer API token (`Authorization: Bearer rt_...`), or, where a route allows it, the web UI's
// session cookie. Either way the user is re-read from the database, so disabling an account takes effect at once.
import type { Actor } from "@/lib/auth/actor";
import type { Db } from "@/lib/db/client";
import { actorForToken } from "@/lib/tokens/service";
import { ApiError } from "./errors";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="radtrack"' };

export const MISSING_TOKEN =
  "Authentication required: send an API token in the header `Authorization: Bearer rt_...` (an admin creates tokens under Admin > API tokens).";
export const INVALID_TOKEN =
  "The API token is invalid or has been revoked, or its user is disabled. Ask an admin for a new token.";

/** The token in the Authorization header; undefined when there is no such header, "" when it is not a bearer one. */
export function bearerToken(headers: Headers): string | undefined {
  const value = headers.get("authorization");
  if (value === null) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match?.[1] ?? "";
}

export async function bearerActor(db: Db, headers: Headers): Promise<Actor> {
  const token = bearerToken(headers);
  if (token === undefined) throw new ApiError(401, MISSING_TOKEN, {}, CHALLENGE);
  const actor = token ? await actorForToken(db, token) : null;
  if (!actor)
    throw new ApiError(
      401,
      INVALID_TOKEN,
      {},
      { "WWW-Authenticate": 'Bearer realm="radtrack", error="invalid_token"' },
    );
  return actor;
}

/** The signed-in web user, or null (also outside a Next.js request, e.g. in tests). */
async function sessionActor(): Promise<Actor | null> {
  try {
    const { currentActor } = await import("@/lib/auth/current-actor");
    return await currentActor();
  } catch {
    return null;
  }
}

/**
 * A bearer token when the request carries an Authorization header, else (if `session`) the session cookie. A bad
 * token never falls back to the cookie.
 */
export async function requestActor(db: Db, request: Request, options: { session: boolean }): Promise<Actor> {
  if (options.session && !request.headers.has("authorization")) {
    const actor = await sessionActor();
    if (actor) return actor;
    throw new ApiError(
      401,
      "Sign in to Radtrack, or send an API token (`Authorization: Bearer rt_...`).",
      {},
      CHALLENGE,
    );
  }
  return bearerActor(db, request.headers);
}
