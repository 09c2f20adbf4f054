import { describe, expect, it } from "vitest";
import { accountDelayMs, THROTTLE_POLICY } from "./rate-limit";

describe("accountDelayMs", () => {
  const policy = THROTTLE_POLICY.account;

  it("lets the free failures through, then doubles the delay up to the cap", () => {
    expect(accountDelayMs(policy, policy.freeFailures)).toBe(0);
    expect(accountDelayMs(policy, policy.freeFailures + 1)).toBe(policy.baseDelayMs);
    expect(accountDelayMs(policy, policy.freeFailures + 2)).toBe(2 * policy.baseDelayMs);
    expect(accountDelayMs(policy, policy.freeFailures + 3)).toBe(4 * policy.baseDelayMs);
    expect(accountDelayMs(policy, policy.freeFailures + 1000)).toBe(policy.maxDelayMs);
  });

  it("never locks an account for longer than a minute, so its owner can always get in", () => {
    for (let n = 0; n < 10_000; n += 7) expect(accountDelayMs(policy, n)).toBeLessThanOrEqual(60_000);
  });
});
