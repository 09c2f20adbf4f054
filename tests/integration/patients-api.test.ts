// GET /api/v1/patients: search by MRN or name, keyset paging, validation and the audit trail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "@/lib/auth/password";
import { createToken } from "@/lib/tokens/service";
import { callRoute } from "@/tests/support/api-call";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as patientsRoute from "@/app/api/v1/patients/route";

interface PatientRow {
  id: string;
  mrn: string;
  name: string;
  scanCount: number;
  status: string | null;
}
interface Page {
  patients: PatientRow[];
  nextCursor: string | null;
}

describe("GET /api/v1/patients", () => {
  let t: TestDatabase;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    const user = await t.db.user.create({
      data: {
        email: "search@api.test",
        name: "s",
        role: "clinician",
        passwordHash: await hashPassword("fixture-pw-123"),
      },
    });
    userId = user.id;
    token = (await createToken(t.db, { userId, name: "search" }, { actor: null, ip: null })).token;
    const rows = Array.from({ length: 7 }, (_, i) => ({
      mrn: `SRCH-${String(i).padStart(3, "0")}`,
      name: i % 2 ? `Ada Lovelace ${i}` : `Grace Hopper ${i}`,
      sex: "female",
    }));
    await t.db.patient.createMany({ data: [...rows, { mrn: "OTHER-1", name: "Alan Turing", sex: "male" }] });
  });

  afterAll(async () => {
    await t?.close();
  });

  const get = async (query: string) => callRoute(patientsRoute.GET, `/api/v1/patients${query}`, { token });

  it("pages through every match in MRN order with an opaque cursor, never repeating or skipping a patient", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await get(`?q=srch&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(response.status).toBe(200);
      const page = (await response.json()) as Page;
      seen.push(...page.patients.map((p) => p.mrn));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `SRCH-${String(i).padStart(3, "0")}`));
  });

  it("finds by exact MRN (any case) and by part of the name", async () => {
    const byMrn = (await (await get("?mrn=srch-004")).json()) as Page;
    expect(byMrn.patients.map((p) => p.mrn)).toEqual(["SRCH-004"]);
    expect(byMrn.patients[0]).toMatchObject({ name: "Grace Hopper 4", scanCount: 0, status: null });
    const partial = (await (await get("?mrn=SRCH-00")).json()) as Page;
    expect(partial.patients).toEqual([]);
    const byName = (await (await get("?q=lovelace")).json()) as Page;
    expect(byName.patients.map((p) => p.mrn)).toEqual(["SRCH-001", "SRCH-003", "SRCH-005"]);
    expect(byName.nextCursor).toBeNull();
  });

  it("refuses bad input with a clear 400", async () => {
    for (const [query, field] of [
      ["?limit=0", "limit"],
      ["?limit=abc", "limit"],
      ["?cursor=not-a-cursor", "cursor"],
      ["?mrn=", "mrn"],
    ] as const) {
      const response = await get(query);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: string; fieldErrors: Record<string, string[]> };
      expect(body.fieldErrors[field], query).toBeDefined();
    }
    const unknown = await get("?name=Ada");
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/Unknown query parameter name/);
  });

  it("needs a token", async () => {
    expect((await callRoute(patientsRoute.GET, "/api/v1/patients")).status).toBe(401);
  });

  it("audits each search with the patients it returned, never the search text", async () => {
    await get("?q=turing");
    const event = await t.db.auditEvent.findFirstOrThrow({
      where: { action: "patient.searched", actorId: userId },
      orderBy: { id: "desc" },
    });
    const other = await t.db.patient.findUniqueOrThrow({ where: { mrn: "OTHER-1" } });
    expect(event.details).toEqual({ via: "api", filtered: true, results: 1, patientIds: [other.id] });
    expect(JSON.stringify(event.details)).not.toMatch(/turing/i);
    expect(event.ip).toBe("192.0.2.10");
  });
});
