import { describe, expect, it } from "vitest";
import { ACCOUNT_POLICY, FailureLimiter } from "./rate-limit";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("FailureLimiter", () => {
  it("locks a key after the maximum failures within the window, for the lock time", () => {
    const c = clock();
    const limiter = new FailureLimiter({ windowMs: 60_000, maxFailures: 3, lockMs: 300_000 }, c.now);
    limiter.recordFailure("a");
    limiter.recordFailure("a");
    expect(limiter.retryAfter("a")).toBe(0);
    limiter.recordFailure("a");
    expect(limiter.retryAfter("a")).toBe(300_000);
    c.advance(299_000);
    expect(limiter.retryAfter("a")).toBe(1_000);
    c.advance(1_000);
    expect(limiter.retryAfter("a")).toBe(0);
  });

  it("forgets failures older than the window", () => {
    const c = clock();
    const limiter = new FailureLimiter({ windowMs: 60_000, maxFailures: 3, lockMs: 300_000 }, c.now);
    limiter.recordFailure("a");
    limiter.recordFailure("a");
    c.advance(60_001);
    limiter.recordFailure("a");
    expect(limiter.retryAfter("a")).toBe(0);
  });

  it("keeps keys apart and resets on success", () => {
    const c = clock();
    const limiter = new FailureLimiter(ACCOUNT_POLICY, c.now);
    for (let i = 0; i < ACCOUNT_POLICY.maxFailures; i++) limiter.recordFailure("a");
    expect(limiter.retryAfter("a")).toBeGreaterThan(0);
    expect(limiter.retryAfter("b")).toBe(0);
    limiter.recordFailure("b");
    limiter.reset("b");
    expect(limiter.retryAfter("b")).toBe(0);
  });
});
