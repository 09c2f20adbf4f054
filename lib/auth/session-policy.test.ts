import { describe, expect, it } from "vitest";
import { judgeSession } from "./session-policy";

const policy = { idleSeconds: 30 * 60, maxAgeSeconds: 12 * 3600 };

describe("judgeSession", () => {
  const loginAt = 1_700_000_000;
  it("keeps a session that is in use", () => {
    expect(judgeSession({ loginAt, lastSeenAt: loginAt }, loginAt + 29 * 60, policy)).toBe("active");
  });
  it("ends a session idle for the idle timeout (30 minutes by default)", () => {
    expect(judgeSession({ loginAt, lastSeenAt: loginAt }, loginAt + 30 * 60, policy)).toBe("idle");
  });
  it("slides the idle window with each request", () => {
    const lastSeenAt = loginAt + 3600;
    expect(judgeSession({ loginAt, lastSeenAt }, lastSeenAt + 29 * 60, policy)).toBe("active");
  });
  it("ends even an active session at its absolute lifetime", () => {
    const now = loginAt + 12 * 3600;
    expect(judgeSession({ loginAt, lastSeenAt: now - 1 }, now, policy)).toBe("expired");
  });
});
