// When a session stops being valid: after `idleSeconds` without a request, or `maxAgeSeconds` after login, whichever
// comes first. Pure, with the clock passed in, so the rule is tested without waiting.
export interface SessionTimes {
  /** Epoch seconds of the login. */
  loginAt: number;
  /** Epoch seconds of the last request seen. */
  lastSeenAt: number;
}

export interface SessionPolicy {
  idleSeconds: number;
  maxAgeSeconds: number;
}

export type SessionVerdict = "active" | "idle" | "expired";

export function judgeSession(times: SessionTimes, nowSeconds: number, policy: SessionPolicy): SessionVerdict {
  if (nowSeconds - times.loginAt >= policy.maxAgeSeconds) return "expired";
  if (nowSeconds - times.lastSeenAt >= policy.idleSeconds) return "idle";
  return "active";
}
