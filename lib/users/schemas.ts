import { z } from "zod";
import { MIN_PASSWORD_LENGTH } from "@/lib/auth/password-policy";

export const passwordField = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(256, "The password is at most 256 characters.");

export const createUserInput = z.object({
  email: z.email("Enter a valid e-mail address.").trim().toLowerCase().max(320),
  name: z.string().trim().min(1, "Enter the user's name.").max(200),
  role: z.enum(["admin", "clinician"], { error: "Choose admin or clinician." }),
  password: passwordField,
});

export const setDisabledInput = z.object({
  id: z.uuid("Unknown user."),
  disabled: z.preprocess((v) => v === true || v === "true", z.boolean()),
});

export const unlockUserInput = z.object({ id: z.uuid("Unknown user.") });

export const resetPasswordInput = z.object({ id: z.uuid("Unknown user."), password: passwordField });

export type CreateUserInput = z.output<typeof createUserInput>;
