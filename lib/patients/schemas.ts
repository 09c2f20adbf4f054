import { z } from "zod";

export const SEXES = ["female", "male", "other", "unknown"] as const;

const optionalYear = z.preprocess(
  (v) => (v === "" || v === null || v === undefined ? undefined : Number(v)),
  z
    .number({ error: "Birth year must be a number." })
    .int("Birth year must be a whole number.")
    .min(1900, "Birth year must be 1900 or later.")
    .refine((y) => y <= new Date().getUTCFullYear(), "Birth year cannot be in the future.")
    .optional(),
);

export const patientFields = {
  mrn: z
    .string()
    .trim()
    .min(1, "Enter the medical record number.")
    .max(64, "The MRN is at most 64 characters.")
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, "The MRN may hold letters, digits and . _ / - only."),
  name: z.string().trim().min(1, "Enter the patient's name.").max(200, "The name is at most 200 characters."),
  sex: z.enum(SEXES, { error: "Choose female, male, other or unknown." }),
  birthYear: optionalYear,
  notes: z.string().max(5000, "Notes are at most 5000 characters.").optional().default(""),
};

export const createPatientInput = z.object(patientFields);
export const updatePatientInput = z.object({ id: z.uuid("Unknown patient."), ...patientFields });

export type CreatePatientInput = z.output<typeof createPatientInput>;
export type UpdatePatientInput = z.output<typeof updatePatientInput>;
