import type { Role } from "@/lib/db/generated/enums";

export type { Role };
export const ROLES = ["admin", "clinician"] as const satisfies readonly Role[];

/** The signed-in user as every permission check sees it: loaded from the database, never trusted from the cookie. */
export interface Actor {
  id: string;
  email: string;
  name: string;
  role: Role;
}
