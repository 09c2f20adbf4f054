// Every server action, called as anonymous, clinician and admin. The table below must name every action the code
// base defines: an action without an entry, or an exported server function that bypasses the wrapper, fails here.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_ALLOWED, NOT_SIGNED_IN, type Audience, type DefinedAction } from "@/lib/actions/define-action";
import { ACTION_DEFINITION } from "@/lib/actions/server-action";
import type { Actor, Role } from "@/lib/auth/actor";
import { hashPassword } from "@/lib/auth/password";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import type { z } from "zod";

type Caller = "anonymous" | Role;
interface Entry {
  allowed: readonly Caller[];
  /** A valid input for this caller, so that an allowed call gets past validation to the real handler. */
  input: (caller: Caller, fixtures: Fixtures) => unknown;
}
interface Fixtures {
  patientId: string;
  userIds: Record<Caller, string>;
}

const everyone = ["anonymous", "clinician", "admin"] as const;
const signedIn = ["clinician", "admin"] as const;
const adminOnly = ["admin"] as const;

const TABLE: Record<string, Entry> = {
  // Bulk upload is for admins only. An unknown job id: the admin gets past the role check to "does not exist".
  "bulk.create": { allowed: adminOnly, input: () => ({ files: [{ name: "rbac.zip", size: 10 }] }) },
  "bulk.check": { allowed: adminOnly, input: () => ({ jobId: "00000000-0000-4000-8000-000000000000" }) },
  "bulk.submit": {
    allowed: adminOnly,
    input: () => ({ jobId: "00000000-0000-4000-8000-000000000000", createPatients: true }),
  },
  "bulk.cancel": { allowed: adminOnly, input: () => ({ jobId: "00000000-0000-4000-8000-000000000000" }) },
  // The PACS link and its "to confirm" list: admins only. Unknown ids: "no longer waiting".
  "dicomweb.confirm": {
    allowed: adminOnly,
    input: () => ({ id: "00000000-0000-4000-8000-000000000000", choice: "create" }),
  },
  "dicomweb.discard": { allowed: adminOnly, input: () => ({ id: "00000000-0000-4000-8000-000000000000" }) },
  "dicomweb.saveSettings": {
    allowed: adminOnly,
    input: () => ({ enabled: false, url: "http://127.0.0.1:9/dicom-web", pollSeconds: 60 }),
  },
  "auth.login": { allowed: everyone, input: () => ({ email: "nobody@example.test", password: "wrong" }) },
  "auth.logout": { allowed: signedIn, input: () => ({}) },
  "patients.create": {
    allowed: signedIn,
    input: (caller) => ({ mrn: `RBAC-${caller}`, name: "Rbac Test", sex: "unknown" }),
  },
  "patients.update": {
    allowed: signedIn,
    input: (caller, f) => ({ id: f.patientId, mrn: "RBAC-EXISTING", name: `Edited by ${caller}`, sex: "female" }),
  },
  // Opening a patient outside one's care teams with a reason: any signed-in user (it is their own access).
  "patients.breakGlass": {
    allowed: signedIn,
    input: (caller, f) => ({ patientId: f.patientId, reason: `rbac check by ${caller}` }),
  },
  // Care teams decide who reads which patient under scoping: admins only. An unknown team: "no longer exists".
  "careTeams.create": { allowed: adminOnly, input: (caller) => ({ name: `rbac-${caller}` }) },
  "careTeams.delete": { allowed: adminOnly, input: () => ({ teamId: "00000000-0000-4000-8000-000000000000" }) },
  "careTeams.setMember": {
    allowed: adminOnly,
    input: () => ({ teamId: "00000000-0000-4000-8000-000000000000", email: "clinician@rbac.test", member: true }),
  },
  "careTeams.setPatient": {
    allowed: adminOnly,
    input: () => ({ teamId: "00000000-0000-4000-8000-000000000000", mrn: "RBAC-EXISTING", member: true }),
  },
  "scans.upload": {
    allowed: signedIn,
    // Not an image: allowed callers get past the role check to a validation refusal, and nothing is stored.
    input: (_caller, f) => {
      const form = new FormData();
      form.set("patientId", f.patientId);
      form.set("file", new File([new TextEncoder().encode("not an image")], "note.png", { type: "image/png" }));
      return form;
    },
  },
  // Withdrawing a wrong scan: any signed-in user; restoring and purging it: admins only. An unknown scan: "does not
  // exist" for whoever gets past the role check.
  "scans.withdraw": {
    allowed: signedIn,
    input: (caller) => ({ scanId: "00000000-0000-4000-8000-000000000000", reason: `rbac check by ${caller}` }),
  },
  "scans.restore": { allowed: adminOnly, input: () => ({ scanId: "00000000-0000-4000-8000-000000000000" }) },
  "scans.purge": { allowed: adminOnly, input: () => ({ scanId: "00000000-0000-4000-8000-000000000000" }) },
  // Curating the reference library changes everyone's neighbours: admins only. An unknown scan: "not in the library".
  "reference.relabel": {
    allowed: adminOnly,
    input: () => ({ scanId: "00000000-0000-4000-8000-000000000000", class: "severe" }),
  },
  // API tokens act as a user: only admins mint or revoke them, never a clinician.
  "tokens.create": {
    allowed: adminOnly,
    input: (caller, f) => ({ userId: f.userIds[caller], name: `rbac-${caller}` }),
  },
  // An unknown id: the admin gets past the role check to "does not exist".
  "tokens.revoke": { allowed: adminOnly, input: () => ({ id: "00000000-0000-4000-8000-000000000000" }) },
  "users.create": {
    allowed: adminOnly,
    input: (caller) => ({
      email: `rbac-${caller}@example.test`,
      name: "New",
      role: "clinician",
      password: "long-enough-password",
    }),
  },
  "users.setDisabled": { allowed: adminOnly, input: (caller, f) => ({ id: f.userIds[caller], disabled: true }) },
  "users.resetPassword": {
    allowed: adminOnly,
    input: (caller, f) => ({ id: f.userIds[caller], password: "another-long-password" }),
  },
  "users.unlock": { allowed: adminOnly, input: (caller, f) => ({ id: f.userIds[caller] }) },
};

async function actionModules(): Promise<string[]> {
  const found: string[] = [];
  for (const root of ["lib", "app"]) {
    const entries = await readdir(path.resolve(root), { recursive: true });
    for (const entry of entries) if (/(^|\/)actions\.ts$/.test(entry)) found.push(path.resolve(root, entry));
  }
  return found;
}

type AnyAction = DefinedAction<z.ZodType, unknown, Audience>;

async function collectActions(): Promise<Map<string, AnyAction>> {
  const actions = new Map<string, AnyAction>();
  for (const file of await actionModules()) {
    const mod = (await import(file)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) {
      const definition = (value as { [ACTION_DEFINITION]?: AnyAction })[ACTION_DEFINITION];
      if (typeof value !== "function" || !definition) {
        throw new Error(
          `${path.relative(process.cwd(), file)} exports ${exportName} without serverAction(defineAction(...))`,
        );
      }
      actions.set(definition.spec.name, definition);
    }
  }
  return actions;
}

describe("role-based access to every server action", () => {
  let t: TestDatabase;
  let actions: Map<string, AnyAction>;
  let fixtures: Fixtures;
  const actors = {} as Record<Role, Actor>;

  beforeAll(async () => {
    // Sign-in and sign-out need a live Next.js request; here they fail after the role check, which is what matters.
    vi.spyOn(console, "error").mockImplementation(() => {});
    t = await createTestDatabase();
    actions = await collectActions();
    const passwordHash = await hashPassword("fixture-password-1");
    for (const role of ["clinician", "admin"] as const) {
      const u = await t.db.user.create({ data: { email: `${role}@rbac.test`, name: role, role, passwordHash } });
      actors[role] = { id: u.id, email: u.email, name: u.name, role };
    }
    const targets = {} as Record<Caller, string>;
    for (const caller of everyone) {
      const u = await t.db.user.create({
        data: { email: `target-${caller}@rbac.test`, name: "Target", role: "clinician", passwordHash },
      });
      targets[caller] = u.id;
    }
    const patient = await t.db.patient.create({ data: { mrn: "RBAC-EXISTING", name: "Existing", sex: "unknown" } });
    fixtures = { patientId: patient.id, userIds: targets };
  });
  afterAll(() => t.close());

  it("has a table entry for every action, and every action module export is wrapped", () => {
    expect([...actions.keys()].sort()).toEqual(Object.keys(TABLE).sort());
  });

  it("declares in code the same audience as the table", () => {
    for (const [name, action] of actions) {
      const declared: readonly Caller[] = action.spec.roles === "public" ? everyone : action.spec.roles;
      expect([...declared].sort(), name).toEqual([...TABLE[name]!.allowed].sort());
    }
  });

  for (const caller of everyone) {
    it(`refuses or admits ${caller} exactly as the table says`, async () => {
      for (const [name, action] of actions) {
        const entry = TABLE[name]!;
        const actor = caller === "anonymous" ? null : actors[caller];
        const { result } = await action.invoke(entry.input(caller, fixtures), { actor, ip: "127.0.0.1" });
        const refusal = result.ok ? null : result.error;
        if (entry.allowed.includes(caller)) {
          expect(refusal === NOT_ALLOWED || refusal === NOT_SIGNED_IN, `${name} as ${caller}: ${refusal}`).toBe(false);
        } else {
          expect(refusal, `${name} as ${caller}`).toBe(caller === "anonymous" ? NOT_SIGNED_IN : NOT_ALLOWED);
        }
      }
    });
  }

  it("changed nothing for refused callers", async () => {
    expect(await t.db.patient.count({ where: { mrn: "RBAC-anonymous" } })).toBe(0);
    expect(
      await t.db.user.count({
        where: { email: { in: ["rbac-anonymous@example.test", "rbac-clinician@example.test"] } },
      }),
    ).toBe(0);
    expect(await t.db.user.findUnique({ where: { id: fixtures.userIds.clinician } })).toMatchObject({
      disabled: false,
    });
    expect(await t.db.user.count({ where: { email: "rbac-admin@example.test" } })).toBe(1);
    expect(await t.db.job.count({ where: { type: "bulk-upload" } })).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: "dicomweb.settings_changed" } })).toBe(1);
    expect(await t.db.apiToken.count({ where: { name: { in: ["rbac-anonymous", "rbac-clinician"] } } })).toBe(0);
    expect(await t.db.careTeam.count({ where: { name: { in: ["rbac-anonymous", "rbac-clinician"] } } })).toBe(0);
    expect(await t.db.careTeam.count({ where: { name: "rbac-admin" } })).toBe(1);
  });
});
