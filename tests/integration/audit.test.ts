// The audit trail, event by event (after OpenEMR's audit test cases: an access produces exactly the event, for the
// right patient, by the right user, from the right address).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ActionContext } from "@/lib/actions/define-action";
import { checkLogin } from "@/lib/auth/login";
import { hashPassword } from "@/lib/auth/password";
import { createLoginThrottle } from "@/lib/auth/rate-limit";
import { createPatientInput } from "@/lib/patients/schemas";
import { createPatient, openPatient, updatePatient } from "@/lib/patients/service";
import { createUserInput } from "@/lib/users/schemas";
import { createUser, resetPassword, setUserDisabled } from "@/lib/users/service";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

describe("audit log", () => {
  let t: TestDatabase;
  let admin: ActionContext;
  beforeAll(async () => {
    t = await createTestDatabase();
    const u = await t.db.user.create({
      data: {
        email: "root@example.test",
        name: "Root",
        role: "admin",
        passwordHash: await hashPassword("root-password-12"),
      },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "198.51.100.4" };
  });
  afterAll(() => t.close());

  const last = (action: string) => t.db.auditEvent.findFirst({ where: { action }, orderBy: { id: "desc" } });

  it("records patient.viewed with the patient's id when a patient is opened", async () => {
    const { id } = await createPatient(
      t.db,
      createPatientInput.parse({ mrn: "AUD-1", name: "Viewed", sex: "female" }),
      admin,
    );
    const before = await t.db.auditEvent.count({ where: { action: "patient.viewed" } });
    await openPatient(t.db, id, admin);
    expect(await t.db.auditEvent.count({ where: { action: "patient.viewed" } })).toBe(before + 1);
    expect(await last("patient.viewed")).toMatchObject({
      patientId: id,
      targetType: "patient",
      targetId: id,
      actorId: admin.actor.id,
      actorEmail: "root@example.test",
      ip: "198.51.100.4",
    });
  });

  it("records patient.created and patient.updated with the changed fields, and no names or notes", async () => {
    const { id } = await createPatient(
      t.db,
      createPatientInput.parse({ mrn: "AUD-2", name: "Secret Name", sex: "male" }),
      admin,
    );
    expect(await last("patient.created")).toMatchObject({ patientId: id, actorId: admin.actor.id });
    await updatePatient(
      t.db,
      { id, mrn: "AUD-2", name: "Other Name", sex: "male", birthYear: 1950, notes: "private" },
      admin,
    );
    const updated = await last("patient.updated");
    expect(updated).toMatchObject({ patientId: id, details: { fields: ["name", "birthYear", "notes"] } });
    expect(JSON.stringify({ ...updated, id: String(updated?.id) })).not.toMatch(/Secret|Other Name|private/);
  });

  it("records user.created, user.disabled, user.enabled and user.password_reset", async () => {
    const { id } = await createUser(
      t.db,
      createUserInput.parse({
        email: "New@Example.test",
        name: "New",
        role: "clinician",
        password: "initial-password-1",
      }),
      admin,
    );
    expect(await last("user.created")).toMatchObject({
      targetType: "user",
      targetId: id,
      details: { role: "clinician" },
    });
    await setUserDisabled(t.db, { id, disabled: true }, admin);
    expect(await last("user.disabled")).toMatchObject({ targetId: id, actorId: admin.actor.id });
    await setUserDisabled(t.db, { id, disabled: false }, admin);
    expect(await last("user.enabled")).toMatchObject({ targetId: id });
    const before = await t.db.user.findUniqueOrThrow({ where: { id } });
    await resetPassword(t.db, { id, password: "brand-new-password" }, admin);
    expect(await last("user.password_reset")).toMatchObject({ targetId: id, ip: "198.51.100.4" });
    const after = await t.db.user.findUniqueOrThrow({ where: { id } });
    expect(after.sessionVersion).toBeGreaterThan(before.sessionVersion);
    expect(after.passwordHash).not.toBe(before.passwordHash);
    expect(after.email).toBe("new@example.test");
  });

  it("records login success and failure with the address", async () => {
    const limiters = createLoginThrottle();
    await checkLogin(t.db, limiters, { email: "root@example.test", password: "root-password-12", ip: "203.0.113.9" });
    expect(await last("auth.login.succeeded")).toMatchObject({ actorId: admin.actor.id, ip: "203.0.113.9" });
    await checkLogin(t.db, limiters, { email: "root@example.test", password: "bad", ip: "203.0.113.10" });
    expect(await last("auth.login.failed")).toMatchObject({ actorId: admin.actor.id, ip: "203.0.113.10" });
  });

  it("keeps an admin from disabling themself or the last active admin", async () => {
    await expect(setUserDisabled(t.db, { id: admin.actor.id, disabled: true }, admin)).rejects.toThrow(
      /your own account/,
    );
  });

  it("is append-only: updates and deletes are refused by the database", async () => {
    await expect(t.db.$executeRawUnsafe(`UPDATE audit_events SET action = 'x'`)).rejects.toThrow(/append-only/);
    await expect(t.db.$executeRawUnsafe(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
    expect(await t.db.auditEvent.count({ where: { action: "x" } })).toBe(0);
  });
});
