// Errors shared by every layer. Domain code throws them; the action and API layers decide how they reach the user.

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

/** Zod's issues as messages per field ("_" for the input as a whole), the shape forms and the API show. */
export function fieldErrorsOf(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }) {
  const fieldErrors: Record<string, string[]> = {};
  for (const issue of error.issues) (fieldErrors[issue.path.map(String).join(".") || "_"] ??= []).push(issue.message);
  return fieldErrors;
}
