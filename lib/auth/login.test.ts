import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import { checkLogin, loginFailureMessage } from "./login";
import { hashPassword } from "./password";
import { listUsers, unlockUser } from "@/lib/users/service";
import { createLoginThrottle, THROTTLE_POLICY } from "./rate-limit";

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
    const limiters = createLoginThrottle();
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
    const limiters = createLoginThrottle();
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
    const outcome = await checkLogin(t.db, createLoginThrottle(), {
      email: "off@example.test",
      password: "right-password-123",
      ip: null,
    });
    expect(outcome).toEqual({ ok: false, reason: "disabled" });
    expect(loginFailureMessage("disabled")).toMatch(/disabled/);
  });

  const right = "right-password-123";

  it("locks the (account, address) pair, audited, while the right password from another address still works", async () => {
    let now = Date.now();
    const throttle = createLoginThrottle(() => now);
    const { pair } = THROTTLE_POLICY;
    for (let i = 0; i < pair.maxFailures - 1; i++) {
      expect(await checkLogin(t.db, throttle, { email: "bo@example.test", password: "x", ip: "10.1.0.1" })).toEqual({
        ok: false,
        reason: "invalid",
      });
    }
    const last = await checkLogin(t.db, throttle, { email: "bo@example.test", password: "x", ip: "10.1.0.1" });
    expect(last).toMatchObject({ ok: false, reason: "locked", retryAfterSeconds: pair.lockMs / 1000 });
    const [lock] = (await events("auth.locked")).slice(-1);
    expect(lock).toMatchObject({ actorEmail: "bo@example.test", ip: "10.1.0.1", targetType: "user" });
    expect(lock?.details).toMatchObject({ scope: "pair" });
    // The guesser's address is locked out of this account, even with the right password...
    expect(
      await checkLogin(t.db, throttle, { email: "bo@example.test", password: right, ip: "10.1.0.1" }),
    ).toMatchObject({ ok: false, reason: "locked" });
    // ...but the admin, elsewhere, signs in.
    expect((await checkLogin(t.db, throttle, { email: "bo@example.test", password: right, ip: "10.1.1.1" })).ok).toBe(
      true,
    );
    expect(loginFailureMessage("locked", 900)).toBe("Too many failed sign-in attempts. Try again in 15 minutes.");
    expect(loginFailureMessage("locked", 4)).toBe("Too many failed sign-in attempts. Try again in 4 seconds.");
    now += pair.lockMs;
    expect((await checkLogin(t.db, throttle, { email: "bo@example.test", password: right, ip: "10.1.0.1" })).ok).toBe(
      true,
    );
  });

  it("keeps its state in the database, so another web server sees the same lock", async () => {
    const serverA = createLoginThrottle();
    const serverB = createLoginThrottle();
    for (let i = 0; i < THROTTLE_POLICY.pair.maxFailures; i++) {
      await checkLogin(t.db, serverA, { email: "ana@example.test", password: "x", ip: "10.2.0.1" });
    }
    expect(
      await checkLogin(t.db, serverB, { email: "ana@example.test", password: right, ip: "10.2.0.1" }),
    ).toMatchObject({ ok: false, reason: "locked" });
  });

  it("slows an account guessed from many addresses with a growing delay, never a hard lock", async () => {
    let now = Date.now();
    const throttle = createLoginThrottle(() => now);
    const { account } = THROTTLE_POLICY;
    await t.db.user.create({
      data: { email: "cy@example.test", name: "Cy", role: "clinician", passwordHash: await hashPassword(right) },
    });
    const attempt = (password: string, ip: string) =>
      checkLogin(t.db, throttle, { email: "cy@example.test", password, ip });
    for (let i = 0; i < account.freeFailures; i++) expect((await attempt("x", `10.3.0.${i}`)).ok).toBe(false);
    expect(await attempt("x", "10.3.1.1")).toMatchObject({ reason: "locked", retryAfterSeconds: 1 });
    // Within the delay even the right password waits (no guess is checked), from any address...
    expect(await attempt(right, "10.3.9.9")).toMatchObject({ reason: "locked", retryAfterSeconds: 1 });
    now += account.baseDelayMs;
    expect(await attempt("x", "10.3.1.2")).toMatchObject({ reason: "locked", retryAfterSeconds: 2 });
    now += 2 * account.baseDelayMs;
    // ...and gets in once the delay has passed: seconds, not 15 minutes.
    expect((await attempt(right, "10.3.9.9")).ok).toBe(true);
    const locks = (await events("auth.locked")).filter((e) => e.actorEmail === "cy@example.test");
    expect(locks.map((e) => (e.details as { scope: string }).scope)).toEqual(["account", "account"]);
  });

  it("lets an admin clear an account's locks, audited", async () => {
    const throttle = createLoginThrottle();
    const user = await t.db.user.findUniqueOrThrow({ where: { email: "ana@example.test" } });
    for (let i = 0; i < THROTTLE_POLICY.pair.maxFailures; i++) {
      await checkLogin(t.db, throttle, { email: "ana@example.test", password: "x", ip: "10.4.0.1" });
    }
    expect((await listUsers(t.db)).find((u) => u.id === user.id)?.lockedUntil).toBeInstanceOf(Date);
    const admin = await t.db.user.findUniqueOrThrow({ where: { email: "bo@example.test" } });
    const ctx = { actor: { id: admin.id, email: admin.email, name: admin.name, role: admin.role }, ip: "10.0.0.9" };
    expect((await unlockUser(t.db, { id: user.id }, ctx)).cleared).toBeGreaterThan(0);
    expect((await listUsers(t.db)).find((u) => u.id === user.id)?.lockedUntil).toBeNull();
    expect((await checkLogin(t.db, throttle, { email: "ana@example.test", password: right, ip: "10.4.0.1" })).ok).toBe(
      true,
    );
    const [unlocked] = (await events("auth.unlocked")).slice(-1);
    expect(unlocked).toMatchObject({ actorId: admin.id, targetId: user.id, ip: "10.0.0.9" });
  });

  it("locks an address that sprays many accounts, without locking other addresses", async () => {
    const limiters = createLoginThrottle();
    for (let i = 0; i < THROTTLE_POLICY.address.maxFailures; i++) {
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
