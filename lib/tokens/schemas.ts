import { z } from "zod";

export const tokenName = z
  .string({ error: "Give the token a name." })
  .trim()
  .min(1, "Give the token a name, e.g. the script or system that will use it.")
  .max(100, "The name is at most 100 characters.");

export const createTokenInput = z.object({
  userId: z.uuid("Choose the user the token acts as."),
  name: tokenName,
});

export const revokeTokenInput = z.object({ id: z.uuid("Unknown token.") });

export type CreateTokenInput = z.output<typeof createTokenInput>;
export type RevokeTokenInput = z.output<typeof revokeTokenInput>;
