import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import { createPatientInput } from "./schemas";
import { createPatient, openPatient, searchPatients, updatePatient } from "./service";

describe("patients", () => {
  let t: TestDatabase;
  let ctx: ActionContext;
  beforeAll(async () => {
    t = await createTestDatabase();
    const user = await t.db.user.create({
      data: { email: "doc@example.test", name: "Doc", role: "clinician", passwordHash: "x" },
    });
    ctx = { actor: { id: user.id, email: user.email, name: user.name, role: "clinician" }, ip: "192.0.2.7" };
  });
  afterAll(() => t.close());

  it("validates input with field messages", () => {
    const bad = createPatientInput.safeParse({ mrn: " ", name: "", sex: "robot", birthYear: "3000" });
    expect(bad.success).toBe(false);
    const fields = new Set(bad.error?.issues.map((i) => i.path[0]));
    expect(fields).toEqual(new Set(["mrn", "name", "sex", "birthYear"]));
    const ok = createPatientInput.parse({ mrn: " MRN-1 ", name: " Jane Doe ", sex: "female", birthYear: "1961" });
    expect(ok).toEqual({ mrn: "MRN-1", name: "Jane Doe", sex: "female", birthYear: 1961, notes: "" });
  });

  it("refuses a duplicate MRN with a clear message and leaves the stored patient untouched", async () => {
    await createPatient(t.db, createPatientInput.parse({ mrn: "DUP-1", name: "First", sex: "male" }), ctx);
    const before = await t.db.patient.findMany({ orderBy: { id: "asc" } });
    const attempt = createPatient(t.db, createPatientInput.parse({ mrn: "DUP-1", name: "Second", sex: "female" }), ctx);
    await expect(attempt).rejects.toBeInstanceOf(UserFacingError);
    await expect(
      createPatient(t.db, createPatientInput.parse({ mrn: "DUP-1", name: "Second", sex: "female" }), ctx),
    ).rejects.toThrow("A patient with MRN DUP-1 already exists.");
    expect(await t.db.patient.findMany({ orderBy: { id: "asc" } })).toEqual(before);
    expect(await t.db.auditEvent.count({ where: { action: "patient.created" } })).toBe(1);
  });

  it("refuses an edit onto another patient's MRN without changing either", async () => {
    const a = await createPatient(t.db, createPatientInput.parse({ mrn: "EDIT-A", name: "A", sex: "male" }), ctx);
    await createPatient(t.db, createPatientInput.parse({ mrn: "EDIT-B", name: "B", sex: "male" }), ctx);
    await expect(
      updatePatient(t.db, { id: a.id, mrn: "EDIT-B", name: "A2", sex: "male", birthYear: undefined, notes: "" }, ctx),
    ).rejects.toThrow(/already exists/);
    expect(await t.db.patient.findUnique({ where: { id: a.id } })).toMatchObject({ mrn: "EDIT-A", name: "A" });
  });

  it("finds patients by MRN or name, case-insensitively", async () => {
    await createPatient(t.db, createPatientInput.parse({ mrn: "FIND-77", name: "Zelda Quince", sex: "female" }), ctx);
    expect((await searchPatients(t.db, { q: "find-7" }, ctx.actor)).patients.map((p) => p.mrn)).toEqual(["FIND-77"]);
    expect((await searchPatients(t.db, { q: "QUINCE" }, ctx.actor)).patients.map((p) => p.mrn)).toEqual(["FIND-77"]);
    expect((await searchPatients(t.db, { q: "no such person" }, ctx.actor)).total).toBe(0);
  });

  it("returns null for an unknown patient without auditing a view", async () => {
    const before = await t.db.auditEvent.count();
    expect(await openPatient(t.db, "00000000-0000-4000-8000-000000000000", ctx)).toBeNull();
    expect(await t.db.auditEvent.count()).toBe(before);
  });
});
