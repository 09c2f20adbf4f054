// The one wrapper every server action goes through: who may call it, what input it takes, and how failures reach
// the user. An action is defined once and exposed twice: `invoke` (explicit actor, used by tests and scripts) and the
// server action itself (actor from the session). tests/integration/rbac.test.ts calls every action through `invoke`.
import { z } from "zod";
import type { Actor, Role } from "@/lib/auth/actor";
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from "@/lib/db/unavailable";
import { fieldErrorsOf, UserFacingError } from "@/lib/errors";

export type ActionResult<T> =
  { ok: true; data: T } | { ok: false; error: string; fieldErrors?: Record<string, string[]> };

export interface ActionContext {
  actor: Actor;
  ip: string | null;
}

/** Context of an action open to anonymous callers (only signing in is). */
export interface PublicActionContext {
  actor: Actor | null;
  ip: string | null;
}

/** `"public"` marks the rare action that anonymous users may call; every other action names the roles it allows. */
export type Audience = readonly Role[] | "public";

export interface ActionSpec<S extends z.ZodType, T, A extends Audience = readonly Role[]> {
  name: string;
  roles: A;
  input: S;
  handler: (input: z.output<S>, ctx: A extends "public" ? PublicActionContext : ActionContext) => Promise<T>;
  /** Paths whose cached render changes after a successful call. */
  revalidate?: (input: z.output<S>, data: T) => string[];
}

export interface DefinedAction<S extends z.ZodType, T, A extends Audience = Audience> {
  spec: ActionSpec<S, T, A>;
  invoke(raw: unknown, caller: { actor: Actor | null; ip: string | null }): Promise<InvokeOutcome<T>>;
}

export interface InvokeOutcome<T> {
  result: ActionResult<T>;
  revalidate: string[];
}

export const NOT_SIGNED_IN = "Your session has ended. Please sign in again.";
export const NOT_ALLOWED = "You do not have permission to do this.";

export function formDataToObject(raw: unknown): unknown {
  if (typeof FormData !== "undefined" && raw instanceof FormData) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of raw.entries()) {
      if (key.startsWith("$ACTION")) continue;
      out[key] = value;
    }
    return out;
  }
  return raw;
}

export type CallCheck<T> =
  | { ok: true; input: T }
  | {
      ok: false;
      reason: "not-signed-in" | "not-allowed" | "invalid";
      error: string;
      fieldErrors?: Record<string, string[]>;
    };

/**
 * Who may call and what input: the checks every entry point (server action, API route) runs before a handler, in
 * one place so the UI and the API cannot drift apart.
 */
export function checkCall<S extends z.ZodType>(
  spec: { roles: Audience; input: S },
  actor: Actor | null,
  raw: unknown,
): CallCheck<z.output<S>> {
  if (spec.roles !== "public") {
    if (!actor) return { ok: false, reason: "not-signed-in", error: NOT_SIGNED_IN };
    if (!spec.roles.includes(actor.role)) return { ok: false, reason: "not-allowed", error: NOT_ALLOWED };
  }
  const parsed = spec.input.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      reason: "invalid",
      error: "Please correct the highlighted fields.",
      fieldErrors: fieldErrorsOf(parsed.error),
    };
  }
  return { ok: true, input: parsed.data };
}

export function defineAction<S extends z.ZodType, T, A extends Audience = readonly Role[]>(
  spec: ActionSpec<S, T, A>,
): DefinedAction<S, T, A> {
  return {
    spec,
    async invoke(raw, caller) {
      const checked = checkCall(spec, caller.actor, formDataToObject(raw));
      if (!checked.ok) {
        const { error, fieldErrors } = checked;
        return { result: fieldErrors ? { ok: false, error, fieldErrors } : { ok: false, error }, revalidate: [] };
      }
      const input = checked.input;
      try {
        // The audience check above guarantees an actor for every non-public action.
        const ctx = { actor: caller.actor, ip: caller.ip } as A extends "public" ? PublicActionContext : ActionContext;
        const data = await spec.handler(input, ctx);
        return { result: { ok: true, data }, revalidate: spec.revalidate?.(input, data) ?? [] };
      } catch (error) {
        if (error instanceof UserFacingError) {
          return { result: { ok: false, error: error.message, fieldErrors: error.fieldErrors }, revalidate: [] };
        }
        if (isDatabaseUnavailable(error)) {
          console.error(`action ${spec.name} failed: the database did not answer in time`);
          return { result: { ok: false, error: DATABASE_UNAVAILABLE_MESSAGE }, revalidate: [] };
        }
        // Ids only: the error message may quote patient data.
        console.error(`action ${spec.name} failed for user ${caller.actor?.id ?? "anonymous"}:`, (error as Error).name);
        console.error(error);
        return {
          result: { ok: false, error: "Something went wrong; nothing was changed. Try again." },
          revalidate: [],
        };
      }
    },
  };
}
