/** Shared by the server-side check and the forms' hints. */
export const MIN_PASSWORD_LENGTH = 12;
