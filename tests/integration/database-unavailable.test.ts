// Bounded waits (issue #11, item 5): with the database paused (a TCP proxy that stops forwarding, as a SIGSTOPped
// server looks from outside) API calls, uploads and server actions answer 503 with Retry-After within the configured
// timeouts instead of hanging for as long as the pause lasts; the health endpoint names the database; a row lock held
// elsewhere ends in 503 after the lock timeout; and everything works again once the database is back.
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ACTION_DEFINITION } from "@/lib/actions/server-action";
import type { Actor } from "@/lib/auth/actor";
import { hashPassword } from "@/lib/auth/password";
import { databaseStatus, resetDatabaseStatus } from "@/lib/db/availability";
import { DATABASE_UNAVAILABLE_MESSAGE } from "@/lib/db/unavailable";
import { corpusDir } from "@/tests/support/image/corpus";
import { databaseUnavailableResponse } from "@/lib/http/unavailable";
import { createPatientAction } from "@/lib/patients/actions";
import { createToken } from "@/lib/tokens/service";
import { callRoute } from "@/tests/support/api-call";
import { startPausableProxy, type PausableProxy } from "@/tests/support/pausable-proxy";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as healthRoute from "@/app/api/health/route";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as patientScansRoute from "@/app/api/v1/patients/[id]/scans/route";

const CONNECT_MS = 1_500;
const STATEMENT_MS = 2_000;
const LOCK_MS = 1_000;
const READ_MS = STATEMENT_MS + 2_000;
// Scheduling slack on a loaded 2-core machine; the waits measured here are printed.
const SLACK_MS = 1_500;

describe("bounded waits on the database", () => {
  let t: TestDatabase;
  let proxy: PausableProxy;
  let token: string;
  let actor: Actor;
  let patientId: string;
  const saved = { ...process.env };

  beforeAll(async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    t = await createTestDatabase();
    proxy = await startPausableProxy(t.url);
    const u = await t.db.user.create({
      data: {
        email: "waits@example.test",
        name: "Waits",
        role: "admin",
        passwordHash: await hashPassword("pw-waits-1"),
      },
    });
    actor = { id: u.id, email: u.email, name: u.name, role: "admin" };
    token = (await createToken(t.db, { userId: u.id, name: "waits" }, { actor: null, ip: null })).token;
    patientId = (await t.db.patient.create({ data: { mrn: "WAIT-1", name: "Wait", sex: "female" } })).id;
    // The app's client (lib/db/client.ts) goes through the proxy, with short timeouts.
    process.env.DATABASE_URL = proxy.url;
    process.env.RADTRACK_DB_CONNECT_TIMEOUT_MS = String(CONNECT_MS);
    process.env.RADTRACK_DB_STATEMENT_TIMEOUT_MS = String(STATEMENT_MS);
    process.env.RADTRACK_DB_LOCK_TIMEOUT_MS = String(LOCK_MS);
    resetDatabaseStatus();
  });
  afterAll(async () => {
    proxy?.resume();
    process.env = saved;
    await proxy?.close();
    await t?.close();
  });

  const listScans = () =>
    callRoute(patientScansRoute.GET, `/api/v1/patients/${patientId}/scans`, { token, params: { id: patientId } });

  async function timed<T>(what: string, fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await fn();
    const ms = Math.round(performance.now() - started);
    console.log(`[bounded waits] ${what}: ${ms} ms`);
    return { value, ms };
  }

  it("answers 503 with Retry-After within the timeouts while the database is paused, and recovers", async () => {
    expect((await listScans()).status).toBe(200);
    expect((await healthRoute.GET()).status).toBe(200);
    proxy.pause();
    try {
      // A pooled connection that no longer answers: the client's read timeout.
      const api = await timed("API call on a pooled connection", listScans);
      expect(api.value.status).toBe(503);
      expect(api.value.headers.get("retry-after")).toBe("30");
      expect(await api.value.json()).toEqual({ error: DATABASE_UNAVAILABLE_MESSAGE });
      expect(api.ms).toBeLessThan(READ_MS + SLACK_MS);

      const health = await timed("health endpoint", () => healthRoute.GET());
      expect(health.value.status).toBe(503);
      expect(health.value.headers.get("retry-after")).toBe("30");
      const body = (await health.value.json()) as {
        status: string;
        down: string[];
        dependencies: Record<string, { ok: boolean; error?: string }>;
      };
      expect(body).toMatchObject({ status: "unavailable", down: ["database"] });
      expect(body.dependencies.database!.error).toBe(`no answer within ${CONNECT_MS} ms`);
      expect(body.dependencies.storage!.ok).toBe(true);
      expect(health.ms).toBeLessThan(CONNECT_MS + SLACK_MS);

      // What proxy.ts answers pages and API calls meanwhile (from the probe, without touching the pool).
      const probe = await timed("proxy probe", () => databaseStatus());
      expect(probe.value.ok).toBe(false);
      const page = databaseUnavailableResponse(new Request("http://radtrack.test/patients"));
      expect(page.status).toBe(503);
      expect(page.headers.get("retry-after")).toBe("30");
      expect(await page.text()).toContain(DATABASE_UNAVAILABLE_MESSAGE);

      // An upload through the API.
      const form = new FormData();
      const jpeg = await readFile(path.join(corpusDir(), "coh00001.jpg"));
      form.set("file", new File([new Uint8Array(jpeg)], "scan.jpg"));
      const upload = await timed("API upload", () =>
        callRoute(patientScansRoute.POST, `/api/v1/patients/${patientId}/scans`, {
          token,
          body: form,
          params: { id: patientId },
        }),
      );
      expect(upload.value.status).toBe(503);
      expect(upload.ms).toBeLessThan(READ_MS + SLACK_MS);

      // A server action (the web UI's forms and uploads) says so in words.
      const action = await timed("server action", () =>
        createPatientAction[ACTION_DEFINITION].invoke(
          { mrn: "WAIT-2", name: "Second", sex: "male" },
          { actor, ip: "192.0.2.10" },
        ),
      );
      expect(action.value.result).toEqual({ ok: false, error: DATABASE_UNAVAILABLE_MESSAGE });
      expect(action.ms).toBeLessThan(READ_MS + SLACK_MS);
    } finally {
      proxy.resume();
    }
    resetDatabaseStatus();
    expect((await healthRoute.GET()).status).toBe(200);
    // Connections that timed out are replaced; the app serves again without a restart.
    let status = 0;
    for (let i = 0; i < 10 && status !== 200; i++) {
      status = (await listScans()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);
    expect(await t.db.patient.count({ where: { mrn: "WAIT-2" } })).toBe(0);
  }, 60_000);

  it("answers 503 when a lock held elsewhere outlasts the lock timeout (PostgreSQL)", async (ctx) => {
    // PGlite serves one connection at a time: nothing else can hold a lock there.
    if (t.kind !== "postgres") ctx.skip();
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(
        `INSERT INTO patients (id, mrn, name, sex, updated_at) VALUES (gen_random_uuid(), 'LOCK-1', 'Held', 'unknown', now())`,
      );
      // The same MRN waits on the uncommitted row's unique index entry.
      const create = await timed("API call waiting on a lock", () =>
        callRoute(patientsRoute.POST, "/api/v1/patients", {
          token,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ mrn: "LOCK-1", name: "Waiting", sex: "female" }),
        }),
      );
      expect(create.value.status).toBe(503);
      expect(create.value.headers.get("retry-after")).toBe("30");
      expect(create.ms).toBeLessThan(LOCK_MS + SLACK_MS);
    } finally {
      await other.query("ROLLBACK");
      await other.end();
    }
  });
});
