import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import { checkLogin, loginFailureMessage } from "./login";
import { hashPassword } from "./password";
import { ACCOUNT_POLICY, ADDRESS_POLICY, createLoginLimiters } from "./rate-limit";

describe("checkLogin", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    const passwordHash = await hashPassword("right-password-123");
    await t.db.user.createMany({
      data: [
        { email: "ana@example.test", name: "Ana", role: "clinician", passwordHash },
        { email: "bo@example.test", name: "Bo", role: "admin", passwordHash },
        { email: "off@example.test", name: "Off", role: "clinician", passwordHash, disabled: true },
      ],
    });
  });
  afterAll(() => t.close());

  const events = (action: string) => t.db.auditEvent.findMany({ where: { action }, orderBy: { id: "asc" } });

  it("accepts the right password (any e-mail case) and audits it with the address", async () => {
    const limiters = createLoginLimiters();
    const outcome = await checkLogin(t.db, limiters, {
      email: " ANA@example.test ",
      password: "right-password-123",
      ip: "10.0.0.1",
    });
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.actor.role).toBe("clinician");
    const [event] = (await events("auth.login.succeeded")).slice(-1);
    expect(event).toMatchObject({ actorEmail: "ana@example.test", ip: "10.0.0.1" });
  });

  it("refuses a wrong password and an unknown account with the same message", async () => {
    const limiters = createLoginLimiters();
    const wrong = await checkLogin(t.db, limiters, { email: "ana@example.test", password: "nope", ip: "10.0.0.2" });
    const unknown = await checkLogin(t.db, limiters, { email: "who@example.test", password: "nope", ip: "10.0.0.2" });
    expect(wrong).toEqual({ ok: false, reason: "invalid" });
    expect(unknown).toEqual({ ok: false, reason: "invalid" });
    const failures = await events("auth.login.failed");
    expect(failures.map((e) => e.details)).toEqual(
      expect.arrayContaining([{ reason: "wrong_password" }, { reason: "unknown_account" }]),
    );
  });

  it("refuses a disabled account with a clear message", async () => {
    const outcome = await checkLogin(t.db, createLoginLimiters(), {
      email: "off@example.test",
      password: "right-password-123",
      ip: null,
    });
    expect(outcome).toEqual({ ok: false, reason: "disabled" });
    expect(loginFailureMessage("disabled")).toMatch(/disabled/);
  });

  it("locks an account after repeated failures, even for the right password, until the lock expires", async () => {
    let now = 5_000_000;
    const limiters = createLoginLimiters(() => now);
    for (let i = 0; i < ACCOUNT_POLICY.maxFailures - 1; i++) {
      expect(
        (await checkLogin(t.db, limiters, { email: "bo@example.test", password: "x", ip: `10.1.0.${i}` })).ok,
      ).toBe(false);
    }
    const last = await checkLogin(t.db, limiters, { email: "bo@example.test", password: "x", ip: "10.1.0.99" });
    expect(last).toMatchObject({ ok: false, reason: "locked" });
    const blocked = await checkLogin(t.db, limiters, {
      email: "bo@example.test",
      password: "right-password-123",
      ip: "10.1.1.1",
    });
    expect(blocked).toMatchObject({ ok: false, reason: "locked", retryAfterSeconds: ACCOUNT_POLICY.lockMs / 1000 });
    expect(loginFailureMessage("locked", 900)).toBe("Too many failed sign-in attempts. Try again in 15 minutes.");
    now += ACCOUNT_POLICY.lockMs;
    expect(
      (await checkLogin(t.db, limiters, { email: "bo@example.test", password: "right-password-123", ip: "10.1.1.1" }))
        .ok,
    ).toBe(true);
  });

  it("locks an address that sprays many accounts, without locking other addresses", async () => {
    const limiters = createLoginLimiters(() => 9_000_000);
    for (let i = 0; i < ADDRESS_POLICY.maxFailures; i++) {
      await checkLogin(t.db, limiters, { email: `spray${i}@example.test`, password: "x", ip: "10.9.9.9" });
    }
    const fromSprayer = await checkLogin(t.db, limiters, {
      email: "ana@example.test",
      password: "right-password-123",
      ip: "10.9.9.9",
    });
    expect(fromSprayer).toMatchObject({ ok: false, reason: "locked" });
    const elsewhere = await checkLogin(t.db, limiters, {
      email: "ana@example.test",
      password: "right-password-123",
      ip: "10.9.9.8",
    });
    expect(elsewhere.ok).toBe(true);
  });
});
