import { z } from "zod";

export const createTeamInput = z.object({
  name: z
    .string()
    .trim()
    .min(2, "Name the team (at least 2 characters).")
    .max(100, "The name is at most 100 characters."),
});

export const deleteTeamInput = z.object({ teamId: z.uuid("Unknown team.") });

const membership = z.preprocess((v) => v === true || v === "true", z.boolean());

/** Add (member: true) or remove a user, named by e-mail address. */
export const setMemberInput = z.object({
  teamId: z.uuid("Unknown team."),
  email: z.email("Enter the user's e-mail address.").trim().toLowerCase().max(320),
  member: membership,
});

/** Add (member: true) or remove a patient, named by MRN. */
export const setPatientInput = z.object({
  teamId: z.uuid("Unknown team."),
  mrn: z.string().trim().min(1, "Enter the patient's MRN.").max(64, "An MRN is at most 64 characters."),
  member: membership,
});

export type CreateTeamInput = z.output<typeof createTeamInput>;
export type SetMemberInput = z.output<typeof setMemberInput>;
export type SetPatientInput = z.output<typeof setPatientInput>;
