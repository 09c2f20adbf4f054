import { z } from "zod";
import { patientFields } from "@/lib/patients/schemas";

const pendingId = z.uuid("Unknown instance.");

/** File a held instance under the patient with this MRN, or create the patient from the file. */
export const confirmPendingInput = z.discriminatedUnion("choice", [
  z.object({ id: pendingId, choice: z.literal("existing"), mrn: patientFields.mrn }),
  z.object({ id: pendingId, choice: z.literal("create") }),
]);
export const discardPendingInput = z.object({ id: pendingId });

const csv = (what: string, pattern: RegExp) =>
  z
    .string()
    .trim()
    .max(1000, `${what}: at most 1000 characters.`)
    .refine(
      (v) => v.split(",").every((part) => part.trim() === "" || pattern.test(part.trim())),
      `${what}: check the list.`,
    )
    .optional()
    .default("");

export const saveSettingsInput = z.object({
  enabled: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
  url: z.url({ protocol: /^https?$/, error: "Enter the DICOMweb root URL (http or https)." }).max(500),
  username: z.string().trim().max(200).optional().default(""),
  /** Empty: keep the stored one. */
  password: z.string().max(500).optional().default(""),
  token: z.string().max(2000).optional().default(""),
  clearSecrets: z
    .preprocess((v) => v === true || v === "on" || v === "true", z.boolean())
    .optional()
    .default(false),
  pollSeconds: z.coerce
    .number({ error: "The poll interval is a number of seconds." })
    .int("The poll interval is a whole number of seconds.")
    .min(5, "Poll at most every 5 seconds.")
    .max(86_400, "Poll at least once a day."),
  modalities: csv("Modalities", /^(CR|DX)$/i),
  aeTitles: csv("AE titles", /^[\x20-\x5b\x5d-\x7e]{1,16}$/),
  institutions: csv("Institutions", /^[^\\]{1,64}$/),
  sendResults: z
    .preprocess((v) => v === true || v === "on" || v === "true", z.boolean())
    .optional()
    .default(false),
});

export type ConfirmPendingInput = z.output<typeof confirmPendingInput>;
export type SaveSettingsInput = z.output<typeof saveSettingsInput>;
