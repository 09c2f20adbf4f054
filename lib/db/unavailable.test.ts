import { describe, expect, it } from "vitest";
import { databaseTimeouts } from "@/lib/config";
import { isDatabaseUnavailable } from "./unavailable";

describe("isDatabaseUnavailable", () => {
  it("knows the driver's timeouts, a refused connection and PostgreSQL's timeout codes, through causes", () => {
    expect(isDatabaseUnavailable(new Error("Query read timeout"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("timeout exceeded when trying to connect"))).toBe(true);
    const wrapped = new Error("driver failed", { cause: Object.assign(new Error("x"), { code: "55P03" }) });
    expect(isDatabaseUnavailable(wrapped)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("y"), { cause: { originalCode: "57014" } }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(true);
  });

  it("leaves refusals and bugs alone", () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("Unique constraint failed"), { code: "P2002" }))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("undefined is not a function"))).toBe(false);
    expect(isDatabaseUnavailable("Query read timeout")).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe("databaseTimeouts", () => {
  it("has bounded defaults, read from the environment, and refuses nonsense", () => {
    expect(databaseTimeouts({})).toEqual({ connectMs: 5_000, statementMs: 15_000, lockMs: 5_000, readMs: 17_000 });
    expect(databaseTimeouts({ RADTRACK_DB_STATEMENT_TIMEOUT_MS: "1000" }).readMs).toBe(3_000);
    expect(() => databaseTimeouts({ RADTRACK_DB_LOCK_TIMEOUT_MS: "0" })).toThrow(/RADTRACK_DB_LOCK_TIMEOUT_MS/);
  });
});
