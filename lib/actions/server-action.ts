import { revalidatePath } from "next/cache";
import type { z } from "zod";
import { currentActor, requestIp } from "@/lib/auth/current-actor";
import type { ActionResult, Audience, DefinedAction } from "./define-action";

export const ACTION_DEFINITION = Symbol.for("radtrack.action");

export type ServerAction<T> = ((raw: unknown) => Promise<ActionResult<T>>) & {
  [ACTION_DEFINITION]: DefinedAction<z.ZodType, T, Audience>;
};

/** Turns a defined action into the function a "use server" module exports, with the actor taken from the session. */
export function serverAction<S extends z.ZodType, T, A extends Audience>(
  action: DefinedAction<S, T, A>,
): ServerAction<T> {
  const fn = async (raw: unknown) => {
    const [actor, ip] = await Promise.all([currentActor(), requestIp()]);
    const { result, revalidate } = await action.invoke(raw, { actor, ip });
    for (const path of revalidate) revalidatePath(path);
    return result;
  };
  return Object.assign(fn, { [ACTION_DEFINITION]: action as unknown as DefinedAction<z.ZodType, T, Audience> });
}
