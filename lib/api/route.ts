// The one wrapper of every /api route handler: authenticates (bearer token, optionally the session cookie), checks
// the role, validates ids, and turns any failure into a JSON error. Route files only name the handler.
import { z } from "zod";
import type { ActionContext } from "@/lib/actions/define-action";
import { NOT_ALLOWED } from "@/lib/actions/define-action";
import { ROLES, type Role } from "@/lib/auth/actor";
import { db, type Db } from "@/lib/db/client";
import { clientIp } from "@/lib/http/client-ip";
import { requestActor } from "./auth";
import { ApiError, errorResponse } from "./errors";

export interface ApiContext extends ActionContext {
  db: Db;
  request: Request;
}

export interface RouteOptions {
  /** Roles admitted; every signed-in role by default. Routes backed by a server action also check its own roles. */
  roles?: readonly Role[];
  /** Also accept the web UI's session cookie (image routes the browser loads). */
  session?: boolean;
}

type Handler<P> = (ctx: ApiContext, params: P) => Promise<Response>;

export function apiRoute<P extends Record<string, string> = Record<string, never>>(
  options: RouteOptions,
  handler: Handler<P>,
): (request: Request, context: { params: Promise<P> }) => Promise<Response> {
  return async (request, context) => {
    try {
      const database = db();
      const actor = await requestActor(database, request, { session: options.session ?? false });
      if (!(options.roles ?? ROLES).includes(actor.role)) throw new ApiError(403, NOT_ALLOWED);
      const params = (await context?.params) ?? ({} as P);
      return await handler({ actor, ip: clientIp(request.headers), db: database, request }, params);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

const uuid = z.uuid();

/** A path id that is not a uuid names nothing: 404, like an unknown one. */
export function requireUuid(value: string | undefined, what: string): string {
  if (!value || !uuid.safeParse(value).success) throw new ApiError(404, `${what} does not exist.`);
  return value.toLowerCase();
}
