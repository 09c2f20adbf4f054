// What a caller may ask of a neighbour query. Parsed here so the page, the API and scripts refuse the same things.
import { z } from "zod";
import { NEIGHBOUR_K, REFERENCE_CLASSES } from "@/lib/domain";
import { fieldErrorsOf, UserFacingError } from "@/lib/errors";

export const MAX_K = 200;

export const neighbourOptionsSchema = z.object({
  k: z
    .number({ error: "k must be a number." })
    .int("k must be a whole number.")
    .min(1, "k must be at least 1.")
    .max(MAX_K, `k is at most ${MAX_K}.`)
    .default(NEIGHBOUR_K),
  classes: z
    .array(z.enum(REFERENCE_CLASSES), {
      error: "classes must be a list of healthy, infected, severe.",
    })
    .min(1, "Choose at least one class, or leave classes out for all.")
    .optional(),
});

export type NeighbourOptionsInput = z.input<typeof neighbourOptionsSchema>;
export type NeighbourOptions = z.output<typeof neighbourOptionsSchema>;

/** Validated options, classes de-duplicated in a fixed order; a bad value becomes a message for the user. */
export function parseNeighbourOptions(raw: NeighbourOptionsInput): NeighbourOptions {
  const parsed = neighbourOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "Invalid neighbour options.";
    throw new UserFacingError(message, fieldErrorsOf(parsed.error));
  }
  const { k, classes } = parsed.data;
  return { k, classes: classes ? REFERENCE_CLASSES.filter((c) => classes.includes(c)) : undefined };
}
