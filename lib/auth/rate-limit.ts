// Failed-login throttling per account and per client address. In memory: Radtrack runs as one server process, and a
// restart forgetting the counters is acceptable; the audit log keeps the permanent record of every failure.
export type Clock = () => number;

export interface RateLimitPolicy {
  /** Failures counted within this window (ms). */
  windowMs: number;
  /** Failures in the window that lock the key. */
  maxFailures: number;
  /** How long a lock lasts (ms). */
  lockMs: number;
}

export const ACCOUNT_POLICY: RateLimitPolicy = { windowMs: 15 * 60_000, maxFailures: 5, lockMs: 15 * 60_000 };
export const ADDRESS_POLICY: RateLimitPolicy = { windowMs: 15 * 60_000, maxFailures: 20, lockMs: 15 * 60_000 };

interface Entry {
  failures: number[];
  lockedUntil: number;
}

export class FailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: RateLimitPolicy,
    private readonly now: Clock = Date.now,
  ) {}

  /** Milliseconds until the key may try again; 0 when it may try now. */
  retryAfter(key: string): number {
    const entry = this.entries.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.lockedUntil - this.now());
  }

  recordFailure(key: string): void {
    const now = this.now();
    const entry = this.entries.get(key) ?? { failures: [], lockedUntil: 0 };
    entry.failures = entry.failures.filter((t) => now - t < this.policy.windowMs);
    entry.failures.push(now);
    if (entry.failures.length >= this.policy.maxFailures) {
      entry.lockedUntil = now + this.policy.lockMs;
      entry.failures = [];
    }
    this.entries.set(key, entry);
    this.prune(now);
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  private prune(now: number): void {
    // Bounded memory under a spray of addresses: drop entries with nothing left to remember.
    if (this.entries.size < 10_000) return;
    for (const [key, entry] of this.entries) {
      if (entry.lockedUntil <= now && entry.failures.every((t) => now - t >= this.policy.windowMs)) {
        this.entries.delete(key);
      }
    }
  }
}

export interface LoginLimiters {
  account: FailureLimiter;
  address: FailureLimiter;
}

export function createLoginLimiters(now: Clock = Date.now): LoginLimiters {
  return { account: new FailureLimiter(ACCOUNT_POLICY, now), address: new FailureLimiter(ADDRESS_POLICY, now) };
}

const globalForLimiters = globalThis as unknown as { radtrackLoginLimiters?: LoginLimiters };
export function loginLimiters(): LoginLimiters {
  globalForLimiters.radtrackLoginLimiters ??= createLoginLimiters();
  return globalForLimiters.radtrackLoginLimiters;
}
