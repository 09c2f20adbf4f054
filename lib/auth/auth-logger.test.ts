import { CredentialsSignin } from "next-auth";
import { describe, expect, it } from "vitest";
import { authLogger } from "./auth-logger";

function capture() {
  const lines: string[] = [];
  const sink = {
    error: (...a: unknown[]) => lines.push(a.join(" ")),
    warn: (...a: unknown[]) => lines.push(a.join(" ")),
  };
  return { lines, logger: authLogger(sink) };
}

describe("authLogger", () => {
  it("prints nothing for a refused sign-in (a subclass with its code included)", () => {
    const { lines, logger } = capture();
    class Refused extends CredentialsSignin {
      override code = "wrong_password";
    }
    logger.error(new Refused());
    logger.error(new CredentialsSignin());
    expect(lines).toEqual([]);
  });

  it("prints an unexpected error as one line and its stack", () => {
    const { lines, logger } = capture();
    logger.error(new TypeError("boom"));
    expect(lines[0]).toBe("[auth] TypeError: boom");
    expect(lines[1]).toMatch(/TypeError: boom\n\s+at /);
  });
});
