// API tokens: admins create them for a user (the token then acts as that user, with that user's role) and revoke
// them. The secret is returned once, at creation; afterwards only its prefix and sha256 exist.
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Actor } from "@/lib/auth/actor";
import type { Db } from "@/lib/db/client";
import type { CreateTokenInput, RevokeTokenInput } from "./schemas";
import { displayPrefix, generateTokenSecret, hashToken, looksLikeToken } from "./secret";

/** Who asks: an admin through the web UI, or the command line (actor null, machine access). */
export interface TokenContext {
  actor: Actor | null;
  ip: string | null;
  via?: "cli";
}

export interface CreatedToken {
  id: string;
  /** The secret: shown exactly once. */
  token: string;
  prefix: string;
  userId: string;
  userEmail: string;
  name: string;
}

function auditDetails(ctx: TokenContext, extra: Record<string, string>) {
  return { ...extra, ...(ctx.via ? { via: ctx.via } : {}) };
}

export async function createToken(db: Db, input: CreateTokenInput, ctx: TokenContext): Promise<CreatedToken> {
  return db.$transaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: input.userId } });
    if (!user) throw new UserFacingError("This user does not exist.", { userId: ["Choose an existing user."] });
    if (user.disabled) {
      throw new UserFacingError(`${user.email} is disabled: a token for this account would not work.`, {
        userId: ["Choose an active user, or enable this one first."],
      });
    }
    const token = generateTokenSecret();
    const row = await tx.apiToken.create({
      data: {
        userId: user.id,
        name: input.name,
        prefix: displayPrefix(token),
        tokenHash: hashToken(token),
        createdBy: ctx.actor?.id ?? null,
      },
    });
    await recordAudit(tx, ctx, {
      action: "token.created",
      targetType: "token",
      targetId: row.id,
      // The token acts as this user; the secret itself is never logged.
      details: auditDetails(ctx, { userId: user.id, prefix: row.prefix }),
    });
    return { id: row.id, token, prefix: row.prefix, userId: user.id, userEmail: user.email, name: row.name };
  });
}

export async function revokeToken(db: Db, input: RevokeTokenInput, ctx: TokenContext): Promise<{ id: string }> {
  return db.$transaction(async (tx) => {
    const token = await tx.apiToken.findUnique({ where: { id: input.id } });
    if (!token) throw new UserFacingError("This token does not exist.");
    if (token.revokedAt) throw new UserFacingError("This token was already revoked.");
    await tx.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, ctx, {
      action: "token.revoked",
      targetType: "token",
      targetId: token.id,
      details: auditDetails(ctx, { userId: token.userId, prefix: token.prefix }),
    });
    return { id: token.id };
  });
}

export async function listTokens(db: Db) {
  return db.apiToken.findMany({
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    select: {
      id: true,
      name: true,
      prefix: true,
      createdAt: true,
      createdBy: true,
      lastUsedAt: true,
      revokedAt: true,
      user: { select: { id: true, email: true, name: true, role: true, disabled: true } },
    },
  });
}

/** last_used_at is written at most this often per token, so a busy client does not turn every read into a write. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * The actor a bearer token stands for, or null when the token is malformed, unknown, revoked, or its user is
 * disabled. The reason is not told apart: callers answer every refusal the same way.
 */
export async function actorForToken(db: Db, token: string, now: Date = new Date()): Promise<Actor | null> {
  if (!looksLikeToken(token)) return null;
  const row = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { user: { select: { id: true, email: true, name: true, role: true, disabled: true } } },
  });
  if (!row || row.revokedAt || row.user.disabled) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Conditional, so concurrent requests write once; a failure here must not refuse the request.
    await db.apiToken
      .updateMany({
        where: {
          id: row.id,
          OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }],
        },
        data: { lastUsedAt: now },
      })
      .catch((error: unknown) => console.error("could not record token use:", (error as Error).name));
  }
  const { user } = row;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}
