// The one wrapper every server action goes through: who may call it, what input it takes, and how failures reach
// the user. An action is defined once and exposed twice: `invoke` (explicit actor, used by tests and scripts) and the
// server action itself (actor from the session). tests/integration/rbac.test.ts calls every action through `invoke`.
import { z } from "zod";
import type { Actor, Role } from "@/lib/auth/actor";

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

/** A failure the user caused and can fix: its message is shown as is. Anything else is logged and hidden. */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly fieldErrors?: Record<string, string[]>,
  ) {
    super(message);
    this.name = "UserFacingError";
  }
}

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

export function defineAction<S extends z.ZodType, T, A extends Audience = readonly Role[]>(
  spec: ActionSpec<S, T, A>,
): DefinedAction<S, T, A> {
  return {
    spec,
    async invoke(raw, caller) {
      if (spec.roles !== "public") {
        if (!caller.actor) return { result: { ok: false, error: NOT_SIGNED_IN }, revalidate: [] };
        if (!spec.roles.includes(caller.actor.role)) {
          return { result: { ok: false, error: NOT_ALLOWED }, revalidate: [] };
        }
      }
      const parsed = spec.input.safeParse(formDataToObject(raw));
      if (!parsed.success) {
        const fieldErrors: Record<string, string[]> = {};
        for (const issue of parsed.error.issues) {
          const key = issue.path.join(".") || "_";
          (fieldErrors[key] ??= []).push(issue.message);
        }
        return { result: { ok: false, error: "Please correct the highlighted fields.", fieldErrors }, revalidate: [] };
      }
      try {
        // The audience check above guarantees an actor for every non-public action.
        const ctx = { actor: caller.actor, ip: caller.ip } as A extends "public" ? PublicActionContext : ActionContext;
        const data = await spec.handler(parsed.data, ctx);
        return { result: { ok: true, data }, revalidate: spec.revalidate?.(parsed.data, data) ?? [] };
      } catch (error) {
        if (error instanceof UserFacingError) {
          return { result: { ok: false, error: error.message, fieldErrors: error.fieldErrors }, revalidate: [] };
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
