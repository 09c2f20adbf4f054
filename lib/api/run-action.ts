// API endpoints that do what a server action does run that action's own definition (roles, zod input, handler), so
// the API cannot drift from the UI in validation, permission or audit. Unlike `invoke`, failures keep their type
// here, so that lib/api/errors.ts can answer 409 for a duplicate and 400 for invalid input.
import type { ActionContext, Audience, DefinedAction } from "@/lib/actions/define-action";
import { checkCall } from "@/lib/actions/define-action";
import { ACTION_DEFINITION, type ServerAction } from "@/lib/actions/server-action";
import type { z } from "zod";
import { ApiError } from "./errors";

type Definition<T> = DefinedAction<z.ZodType, T, Audience>;

function definitionOf<T>(action: ServerAction<T>): Definition<T> {
  const definition = action[ACTION_DEFINITION];
  if (!definition) throw new Error("not a serverAction(defineAction(...))");
  return definition;
}

export interface PreparedAction<T> {
  /** The validated input, as the handler will see it. */
  input: unknown;
  run(): Promise<T>;
}

/** Role check and validation (403 / 400); `run` then calls the handler, whose errors propagate as thrown. */
export function prepareAction<T>(action: ServerAction<T>, raw: unknown, ctx: ActionContext): PreparedAction<T> {
  const { spec } = definitionOf(action);
  const checked = checkCall(spec, ctx.actor, raw);
  if (!checked.ok) {
    if (checked.reason !== "invalid") throw new ApiError(403, checked.error);
    const fieldErrors = checked.fieldErrors ?? {};
    const summary = Object.entries(fieldErrors)
      .map(([field, messages]) => `${field}: ${messages.join(" ")}`)
      .join("; ");
    throw new ApiError(400, `Invalid request. ${summary}`, { fieldErrors });
  }
  const input = checked.input;
  const handler = spec.handler as (input: unknown, ctx: ActionContext) => Promise<T>;
  return { input, run: () => handler(input, { actor: ctx.actor, ip: ctx.ip }) };
}

export function runAction<T>(action: ServerAction<T>, raw: unknown, ctx: ActionContext): Promise<T> {
  return prepareAction(action, raw, ctx).run();
}
