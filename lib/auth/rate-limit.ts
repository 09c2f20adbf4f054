// Failed sign-in throttling, kept in the database so that every web server of a deployment sees the same state and a
// restart forgets nothing. Three keys per attempt:
// - the (account, address) pair: a guesser at one address is locked out of that account, and only there;
// - the address: one address spraying many accounts is locked out;
// - the account, across addresses: a growing delay between attempts, never a hard lock, so a distributed guesser
//   gets a few tries an hour while the owner, from anywhere, waits seconds at most. A hard per-account lock would let
//   anyone lock the admin out with five wrong passwords.
// Every lock is returned to the caller, which audits it; an admin can clear an account's locks.
import type { Db } from "@/lib/db/client";

export type Clock = () => number;

export interface LockPolicy {
  /** Failures counted within this window (ms). */
  windowMs: number;
  /** Failures in the window that lock the key. */
  maxFailures: number;
  /** How long a lock lasts (ms). */
  lockMs: number;
}

export interface DelayPolicy {
  /** Failures counted within this window (ms). */
  windowMs: number;
  /** Failures in the window before any delay. */
  freeFailures: number;
  /** The first delay; each further failure doubles it, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface ThrottlePolicy {
  pair: LockPolicy;
  address: LockPolicy;
  account: DelayPolicy;
}

export const THROTTLE_POLICY: ThrottlePolicy = {
  pair: { windowMs: 15 * 60_000, maxFailures: 5, lockMs: 15 * 60_000 },
  address: { windowMs: 15 * 60_000, maxFailures: 20, lockMs: 15 * 60_000 },
  account: { windowMs: 60 * 60_000, freeFailures: 10, baseDelayMs: 1_000, maxDelayMs: 60_000 },
};

export type ThrottleScope = "pair" | "address" | "account";

export interface Lock {
  scope: ThrottleScope;
  until: Date;
}

export interface LoginThrottle {
  policy: ThrottlePolicy;
  now: Clock;
}

export function createLoginThrottle(now: Clock = Date.now, policy: ThrottlePolicy = THROTTLE_POLICY): LoginThrottle {
  return { policy, now };
}

/** Rows untouched for this long are deleted (the audit log keeps the record of every failure). */
const FORGET_AFTER_MS = 24 * 3600_000;

function keysFor(email: string, ip: string): { key: string; scope: ThrottleScope; email: string | null }[] {
  // A newline cannot occur in an e-mail address (validated) nor in an address we set ourselves.
  return [
    { key: `pair:${email}\n${ip}`, scope: "pair", email },
    { key: `address:${ip}`, scope: "address", email: null },
    { key: `account:${email}`, scope: "account", email },
  ];
}

export function accountDelayMs(policy: DelayPolicy, failures: number): number {
  const over = failures - policy.freeFailures;
  if (over <= 0) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(over - 1, 30));
}

/** The longest lock in force for this attempt, or null when it may go ahead. */
export async function activeLock(db: Db, throttle: LoginThrottle, email: string, ip: string): Promise<Lock | null> {
  const now = new Date(throttle.now());
  const rows = await db.loginThrottle.findMany({
    where: { key: { in: keysFor(email, ip).map((k) => k.key) }, lockedUntil: { gt: now } },
    orderBy: { lockedUntil: "desc" },
    take: 1,
  });
  const row = rows[0];
  return row?.lockedUntil ? { scope: row.scope as ThrottleScope, until: row.lockedUntil } : null;
}

interface CounterRow {
  failures: number;
  locked_until: Date | null;
}

/** Counts one failure on every key of the attempt; returns the locks this failure started. */
export async function recordLoginFailure(db: Db, throttle: LoginThrottle, email: string, ip: string): Promise<Lock[]> {
  const now = new Date(throttle.now());
  const locks: Lock[] = [];
  for (const { key, scope, email: keyEmail } of keysFor(email, ip)) {
    const windowMs = throttle.policy[scope].windowMs;
    const windowFloor = new Date(now.getTime() - windowMs);
    // One statement, so that concurrent failures on several servers each count (the row lock orders them).
    const [row] = await db.$queryRaw<CounterRow[]>`
      INSERT INTO "login_throttles" ("key", "scope", "email", "failures", "window_start", "updated_at")
      VALUES (${key}, ${scope}, ${keyEmail}, 1, ${now}, ${now})
      ON CONFLICT ("key") DO UPDATE SET
        "failures" = CASE WHEN "login_throttles"."window_start" <= ${windowFloor} THEN 1
                          ELSE "login_throttles"."failures" + 1 END,
        "window_start" = CASE WHEN "login_throttles"."window_start" <= ${windowFloor} THEN ${now}
                              ELSE "login_throttles"."window_start" END,
        "updated_at" = ${now}
      RETURNING "failures", "locked_until"`;
    if (!row) continue;
    let lockMs = 0;
    if (scope === "account") {
      lockMs = accountDelayMs(throttle.policy.account, row.failures);
    } else if (row.failures >= throttle.policy[scope].maxFailures) {
      lockMs = throttle.policy[scope].lockMs;
    }
    if (lockMs === 0) continue;
    const until = new Date(now.getTime() + lockMs);
    // A pair or address lock starts a fresh count, so the next lock needs as many failures again.
    await db.loginThrottle.update({
      where: { key },
      data: { lockedUntil: until, ...(scope === "account" ? {} : { failures: 0, windowStart: now }) },
    });
    locks.push({ scope, until });
  }
  await db.loginThrottle.deleteMany({ where: { updatedAt: { lt: new Date(now.getTime() - FORGET_AFTER_MS) } } });
  return locks;
}

/** The right password: this pair and the account start afresh (the address keeps its count). */
export async function recordLoginSuccess(db: Db, email: string, ip: string): Promise<void> {
  const keys = keysFor(email, ip).filter((k) => k.scope !== "address");
  await db.loginThrottle.deleteMany({ where: { key: { in: keys.map((k) => k.key) } } });
}

/** Clears every lock and count of an account (from every address). Returns how many keys were cleared. */
export async function clearAccountThrottles(db: Db, email: string): Promise<number> {
  const { count } = await db.loginThrottle.deleteMany({ where: { email } });
  return count;
}

/** Accounts (by e-mail) with a lock in force, for the admin's users page. */
export async function lockedAccounts(db: Db, now: Date = new Date()): Promise<Map<string, Date>> {
  const rows = await db.loginThrottle.findMany({
    where: { email: { not: null }, lockedUntil: { gt: now } },
    select: { email: true, lockedUntil: true },
  });
  const locked = new Map<string, Date>();
  for (const row of rows) {
    if (!row.email || !row.lockedUntil) continue;
    const known = locked.get(row.email);
    if (!known || known < row.lockedUntil) locked.set(row.email, row.lockedUntil);
  }
  return locked;
}
