// The token format: `rt_` + 32 random bytes in base64url (43 characters). Only its sha256 is stored; with 256 bits of
// randomness a slow password hash adds nothing. The first 8 characters (the "prefix") identify a token in lists.
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_PREFIX = "rt_";
const TOKEN_PATTERN = /^rt_[A-Za-z0-9_-]{43}$/;
export const DISPLAY_PREFIX_LENGTH = 8;

export function generateTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function displayPrefix(token: string): string {
  return token.slice(0, DISPLAY_PREFIX_LENGTH);
}
