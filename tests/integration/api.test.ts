// The JSON API end to end against a real database: route handlers are called as Next.js calls them (a Request and
// `{ params: Promise }`), tokens come from the admin action and the command line, uploads are real corpus images.
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pgvector from "pgvector";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NOT_ALLOWED } from "@/lib/actions/define-action";
import { ACTION_DEFINITION } from "@/lib/actions/server-action";
import type { Actor } from "@/lib/auth/actor";
import { hashPassword } from "@/lib/auth/password";
import { embeddingOf } from "@/lib/db/vector-sql";
import { activeModel } from "@/lib/scans/active-model";
import { ingestScan } from "@/lib/scans/ingest";
import { ScanStore } from "@/lib/storage/scan-store";
import { createTokenAction, revokeTokenAction } from "@/lib/tokens/actions";
import { createToken } from "@/lib/tokens/service";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";
import * as patientsRoute from "@/app/api/v1/patients/route";
import * as patientScansRoute from "@/app/api/v1/patients/[id]/scans/route";
import * as neighborsRoute from "@/app/api/v1/scans/[id]/neighbors/route";
import * as previewRoute from "@/app/api/v1/scans/[id]/preview/route";
import * as thumbnailRoute from "@/app/api/v1/scans/[id]/thumbnail/route";
import * as sessionThumbnailRoute from "@/app/api/scans/[id]/thumbnail/route";

const CORPUS = process.env.RADTRACK_CORPUS_DIR ?? path.resolve("../shared/data/cxr");
const BASE = "http://radtrack.test";

type Handler<P> = (request: Request, context: { params: Promise<P> }) => Promise<Response>;

interface CallOptions<P> {
  method?: string;
  token?: string | null;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  params?: P;
}

async function call<P>(handler: Handler<P>, url: string, options: CallOptions<P> = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  headers.set("x-forwarded-for", "192.0.2.10");
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form) {
    // Serialise as a client would, so the handler parses a real multipart body with its Content-Type boundary.
    const encoded = new Response(options.form);
    headers.set("content-type", encoded.headers.get("content-type")!);
    body = new Uint8Array(await encoded.arrayBuffer());
  }
  const request = new Request(`${BASE}${url}`, { method: options.method ?? (body ? "POST" : "GET"), headers, body });
  return handler(request, { params: Promise.resolve(options.params ?? ({} as P)) });
}

async function errorOf(response: Response): Promise<string> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = (await response.json()) as { error?: unknown };
  expect(typeof body.error, JSON.stringify(body)).toBe("string");
  return body.error as string;
}

function imageForm(bytes: Buffer, name: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.set("file", new File([new Uint8Array(bytes)], name, { type: "image/jpeg" }));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return form;
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch {
    return [];
  }
}

describe("JSON API (/api/v1) and API tokens", () => {
  let t: TestDatabase;
  let dataDir: string;
  const actors = {} as Record<"admin" | "clinician" | "disabled", Actor>;
  const tokens = {} as Record<"admin" | "clinician" | "disabled", string>;
  let patientId: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-api-test-"));
    // lib/scans/ingest.ts stores files under config().dataDir, read on first use.
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    const passwordHash = await hashPassword("fixture-password-1");
    for (const [key, role] of [
      ["admin", "admin"],
      ["clinician", "clinician"],
      ["disabled", "clinician"],
    ] as const) {
      const u = await t.db.user.create({ data: { email: `${key}@api.test`, name: key, role, passwordHash } });
      actors[key] = { id: u.id, email: u.email, name: u.name, role };
      tokens[key] = (await createToken(t.db, { userId: u.id, name: `${key} script` }, { actor: null, ip: null })).token;
    }
    await t.db.user.update({ where: { id: actors.disabled.id }, data: { disabled: true } });
    const patient = await t.db.patient.create({ data: { mrn: "API-0001", name: "Api Patient", sex: "female" } });
    patientId = patient.id;
  });

  afterAll(async () => {
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe("tokens", () => {
    it("authenticates a bearer token as its user and records its use at most once a minute", async () => {
      const url = `/api/v1/patients/${patientId}/scans`;
      const first = await call(patientScansRoute.GET, url, { token: tokens.clinician, params: { id: patientId } });
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ patientId, scans: [] });
      const row = await t.db.apiToken.findFirstOrThrow({ where: { userId: actors.clinician.id } });
      expect(row.lastUsedAt).toBeInstanceOf(Date);
      await call(patientScansRoute.GET, url, { token: tokens.clinician, params: { id: patientId } });
      const again = await t.db.apiToken.findUniqueOrThrow({ where: { id: row.id } });
      expect(again.lastUsedAt?.getTime()).toBe(row.lastUsedAt?.getTime());
      const viewed = await t.db.auditEvent.findFirst({
        where: { action: "patient.viewed", actorId: actors.clinician.id },
      });
      expect(viewed).toMatchObject({ patientId, ip: "192.0.2.10" });
    });

    it("answers 401 JSON for a missing, malformed, unknown or non-bearer token", async () => {
      const url = `/api/v1/patients/${patientId}/scans`;
      const params = { id: patientId };
      const missing = await call(patientScansRoute.GET, url, { params });
      expect(missing.status).toBe(401);
      expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await errorOf(missing)).toMatch(/Authorization: Bearer/);
      for (const header of ["Bearer garbage", `Bearer rt_${"A".repeat(43)}`, "Basic dXNlcjpwYXNz", "Bearer"]) {
        const response = await call(patientScansRoute.GET, url, { params, headers: { authorization: header } });
        expect(response.status, header).toBe(401);
        expect(await errorOf(response)).toMatch(/invalid or has been revoked/);
      }
      // Also on POST routes, before the body is looked at.
      const post = await call(patientsRoute.POST, "/api/v1/patients", { token: "rt_nope", json: { mrn: "X" } });
      expect(post.status).toBe(401);
      expect(await t.db.patient.count({ where: { mrn: "X" } })).toBe(0);
    });

    it("answers 401 for the token of a disabled user", async () => {
      const response = await call(patientScansRoute.GET, `/api/v1/patients/${patientId}/scans`, {
        token: tokens.disabled,
        params: { id: patientId },
      });
      expect(response.status).toBe(401);
      await errorOf(response);
    });

    it("lets only admins create and revoke tokens; a revoked token stops working", async () => {
      const create = createTokenAction[ACTION_DEFINITION];
      const revoke = revokeTokenAction[ACTION_DEFINITION];
      const asClinician = await create.invoke(
        { userId: actors.clinician.id, name: "sneaky" },
        { actor: actors.clinician, ip: null },
      );
      expect(asClinician.result).toEqual({ ok: false, error: NOT_ALLOWED });
      expect(await t.db.apiToken.count({ where: { name: "sneaky" } })).toBe(0);

      const { result } = await create.invoke(
        { userId: actors.clinician.id, name: "PACS bridge" },
        { actor: actors.admin, ip: "192.0.2.1" },
      );
      if (!result.ok) throw new Error(result.error);
      const created = result.data as { id: string; token: string; prefix: string };
      expect(created.token).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
      expect(created.prefix).toBe(created.token.slice(0, 8));
      const stored = await t.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
      // Only the hash is kept.
      expect(stored.tokenHash).toBe(createHash("sha256").update(created.token).digest("hex"));
      expect(JSON.stringify(stored)).not.toContain(created.token);
      expect(stored.createdBy).toBe(actors.admin.id);
      const audit = await t.db.auditEvent.findFirstOrThrow({
        where: { action: "token.created", targetId: created.id },
      });
      expect(audit).toMatchObject({ actorId: actors.admin.id, targetType: "token" });
      expect(JSON.stringify(audit.details)).not.toContain(created.token);

      const url = `/api/v1/patients/${patientId}/scans`;
      expect((await call(patientScansRoute.GET, url, { token: created.token, params: { id: patientId } })).status).toBe(
        200,
      );

      const refused = await revoke.invoke({ id: created.id }, { actor: actors.clinician, ip: null });
      expect(refused.result).toEqual({ ok: false, error: NOT_ALLOWED });
      const revoked = await revoke.invoke({ id: created.id }, { actor: actors.admin, ip: null });
      expect(revoked.result.ok).toBe(true);
      expect(await t.db.auditEvent.count({ where: { action: "token.revoked", targetId: created.id } })).toBe(1);
      const after = await call(patientScansRoute.GET, url, { token: created.token, params: { id: patientId } });
      expect(after.status).toBe(401);
      await errorOf(after);
    });
  });

  describe("patients", () => {
    it("creates a patient (201), refuses a duplicate MRN (409) and invalid input (400)", async () => {
      const body = { mrn: "API-NEW-1", name: "New Patient", sex: "male", birthYear: 1970 };
      const created = await call(patientsRoute.POST, "/api/v1/patients", { token: tokens.clinician, json: body });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect(await t.db.patient.findUnique({ where: { id } })).toMatchObject({ mrn: "API-NEW-1", birthYear: 1970 });
      expect(await t.db.auditEvent.findFirst({ where: { action: "patient.created", targetId: id } })).toMatchObject({
        actorId: actors.clinician.id,
      });

      const duplicate = await call(patientsRoute.POST, "/api/v1/patients", { token: tokens.admin, json: body });
      expect(duplicate.status).toBe(409);
      const dupBody = (await duplicate.json()) as { error: string; existingPatientId: string };
      expect(dupBody.error).toMatch(/API-NEW-1 already exists/);
      expect(dupBody.existingPatientId).toBe(id);

      const invalid = await call(patientsRoute.POST, "/api/v1/patients", {
        token: tokens.clinician,
        json: { mrn: "", name: "x", sex: "robot" },
      });
      expect(invalid.status).toBe(400);
      const invalidBody = (await invalid.json()) as { error: string; fieldErrors: Record<string, string[]> };
      expect(invalidBody.error).toMatch(/medical record number/);
      expect(Object.keys(invalidBody.fieldErrors).sort()).toEqual(["mrn", "sex"]);

      const notJson = await call(patientsRoute.POST, "/api/v1/patients", {
        token: tokens.clinician,
        headers: { "content-type": "application/json" },
        form: undefined,
        json: undefined,
      });
      expect(notJson.status).toBe(400);
      expect(await errorOf(notJson)).toMatch(/empty/);
    });

    it("answers 404 JSON for unknown and malformed patient ids", async () => {
      for (const id of [randomUUID(), "not-a-uuid", "1; DROP TABLE patients"]) {
        const response = await call(patientScansRoute.GET, `/api/v1/patients/${id}/scans`, {
          token: tokens.clinician,
          params: { id },
        });
        expect(response.status, id).toBe(404);
        expect(await errorOf(response)).toMatch(/patient does not exist/);
      }
    });
  });

  describe("scans", () => {
    let original: Buffer;
    let scanId: string;

    beforeAll(async () => {
      original = await readFile(path.join(CORPUS, "coh00001.jpg"));
    });

    it("uploads through the API exactly as the UI path does (same embedding), and lists the scan", async () => {
      const response = await call(patientScansRoute.POST, `/api/v1/patients/${patientId}/scans`, {
        token: tokens.clinician,
        form: imageForm(original, "scan.jpg", { acquiredAt: "2026-01-15", view: "PA" }),
        params: { id: patientId },
      });
      expect(response.status, await response.clone().text()).toBe(201);
      const body = (await response.json()) as { id: string; acquiredAt: string; warnings: string[] };
      scanId = body.id;
      expect(body.acquiredAt.slice(0, 10)).toBe("2026-01-15");
      expect(body.warnings).toEqual([]);
      const scan = await t.db.scan.findUniqueOrThrow({ where: { id: scanId } });
      expect(scan).toMatchObject({ patientId, origin: "upload", view: "PA", uploadedBy: actors.clinician.id });
      expect(
        await t.db.auditEvent.count({
          where: { action: "scan.uploaded", targetId: scanId, actorId: actors.clinician.id },
        }),
      ).toBe(1);

      // The same bytes through ingestScan directly (what the UI's upload action calls), for another patient.
      const other = await t.db.patient.create({ data: { mrn: "API-0002", name: "Other", sex: "male" } });
      const direct = await ingestScan(
        t.db,
        { patientId: other.id, bytes: original, origin: "upload" },
        { actor: actors.admin, ip: null },
      );
      const model = await activeModel(t.db);
      const viaApi = await embeddingOf(t.db, scanId, model.id);
      const viaIngest = await embeddingOf(t.db, direct.scanId, model.id);
      expect(viaApi).not.toBeNull();
      expect(Array.from(viaApi!)).toEqual(Array.from(viaIngest!));

      const list = await call(patientScansRoute.GET, `/api/v1/patients/${patientId}/scans`, {
        token: tokens.admin,
        params: { id: patientId },
      });
      expect(list.status).toBe(200);
      const listed = (await list.json()) as { scans: Record<string, unknown>[] };
      expect(listed.scans).toEqual([
        {
          id: scanId,
          acquiredAt: "2026-01-15T00:00:00.000Z",
          acquiredTime: null,
          view: "PA",
          width: scan.width,
          height: scan.height,
          origin: "upload",
          createdAt: scan.createdAt.toISOString(),
        },
      ]);
    });

    it("answers 409 with the existing scan id for a duplicate upload", async () => {
      const before = await t.db.scan.count();
      const response = await call(patientScansRoute.POST, `/api/v1/patients/${patientId}/scans`, {
        token: tokens.admin,
        form: imageForm(original, "again.jpg"),
        params: { id: patientId },
      });
      expect(response.status).toBe(409);
      const body = (await response.json()) as { error: string; existingScanId: string };
      expect(body.existingScanId).toBe(scanId);
      expect(body.error).toMatch(/already stored/);
      expect(await t.db.scan.count()).toBe(before);
    });

    it("refuses a text file named .png with 415 JSON and stores nothing", async () => {
      const counts = async () => ({
        scans: await t.db.scan.count(),
        embeddings: await t.db.embedding.count(),
        files: await filesUnder(path.join(dataDir, "scans")),
      });
      const before = await counts();
      const form = new FormData();
      form.set(
        "file",
        new File([new TextEncoder().encode("these are my notes, not an X-ray\n".repeat(20))], "chest.png", {
          type: "image/png",
        }),
      );
      const response = await call(patientScansRoute.POST, `/api/v1/patients/${patientId}/scans`, {
        token: tokens.clinician,
        form,
        params: { id: patientId },
      });
      expect(response.status).toBe(415);
      expect(await errorOf(response)).toMatch(/text file.*DICOM, JPEG or PNG/);
      expect(await counts()).toEqual(before);
    });

    it("refuses bodies that are not multipart, lack the file, or exceed RADTRACK_MAX_UPLOAD_MB", async () => {
      const url = `/api/v1/patients/${patientId}/scans`;
      const params = { id: patientId };
      const json = await call(patientScansRoute.POST, url, { token: tokens.clinician, json: { file: "x" }, params });
      expect(json.status).toBe(415);
      expect(await errorOf(json)).toMatch(/multipart\/form-data/);

      const noFile = new FormData();
      noFile.set("view", "PA");
      const missing = await call(patientScansRoute.POST, url, { token: tokens.clinician, form: noFile, params });
      expect(missing.status).toBe(400);
      expect(await errorOf(missing)).toMatch(/field "file"/);

      const badDate = await call(patientScansRoute.POST, url, {
        token: tokens.clinician,
        form: imageForm(await readFile(path.join(CORPUS, "coh00002.jpg")), "b.jpg", { acquiredAt: "15/01/2026" }),
        params,
      });
      expect(badDate.status).toBe(400);
      expect(((await badDate.json()) as { fieldErrors: Record<string, string[]> }).fieldErrors.acquiredAt).toContain(
        "Use the date format YYYY-MM-DD.",
      );

      vi.stubEnv("RADTRACK_MAX_UPLOAD_MB", "0.01"); // about 10 KB
      try {
        const big = await call(patientScansRoute.POST, url, {
          token: tokens.clinician,
          form: imageForm(original, "big.jpg"),
          params,
        });
        expect(big.status).toBe(413);
        expect(await errorOf(big)).toMatch(/larger than the limit of 10 KB.*RADTRACK_MAX_UPLOAD_MB/);
        // Declared too large: refused before the body is read.
        const declared = await patientScansRoute.POST(
          new Request(`${BASE}${url}`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${tokens.clinician}`,
              "content-type": "multipart/form-data; boundary=x",
              "content-length": String(500 * 1024 * 1024),
            },
            body: "--x--",
          }),
          { params: Promise.resolve(params) },
        );
        expect(declared.status).toBe(413);
      } finally {
        vi.unstubAllEnvs();
      }
      // A body shorter than its Content-Length was cut off in front of the handler (Next's proxy buffer): say so.
      const cut = await patientScansRoute.POST(
        new Request(`${BASE}${url}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${tokens.clinician}`,
            "content-type": "multipart/form-data; boundary=x",
            "content-length": "100000",
          },
          body: "--x--",
        }),
        { params: Promise.resolve(params) },
      );
      expect(cut.status).toBe(413);
      expect(await errorOf(cut)).toMatch(/cut off after 5 bytes of 98 KB.*proxyClientMaxBodySize/);
    });

    it("serves the preview as a re-encoded JPEG (never the original) and audits the view", async () => {
      const response = await call(previewRoute.GET, `/api/v1/scans/${scanId}/preview`, {
        token: tokens.clinician,
        params: { id: scanId },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/jpeg");
      expect(response.headers.get("cache-control")).toMatch(/no-store/);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(bytes.equals(original)).toBe(false);
      expect(await t.db.auditEvent.findFirst({ where: { action: "scan.viewed", targetId: scanId } })).toMatchObject({
        actorId: actors.clinician.id,
        patientId,
      });

      const thumb = await call(thumbnailRoute.GET, `/api/v1/scans/${scanId}/thumbnail`, {
        token: tokens.clinician,
        params: { id: scanId },
      });
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get("content-type")).toBe("image/jpeg");
      expect(Buffer.from(await thumb.arrayBuffer()).equals(original)).toBe(false);

      // The web UI's route takes a token too, and refuses anonymous callers with JSON.
      const viaSessionRoute = await call(sessionThumbnailRoute.GET, `/api/scans/${scanId}/thumbnail`, {
        token: tokens.admin,
        params: { id: scanId },
      });
      expect(viaSessionRoute.status).toBe(200);
      const anonymous = await call(sessionThumbnailRoute.GET, `/api/scans/${scanId}/thumbnail`, {
        params: { id: scanId },
      });
      expect(anonymous.status).toBe(401);
      await errorOf(anonymous);

      for (const id of [randomUUID(), "../../etc/passwd"]) {
        const missing = await call(previewRoute.GET, `/api/v1/scans/x/preview`, {
          token: tokens.clinician,
          params: { id },
        });
        expect(missing.status).toBe(404);
        expect(await errorOf(missing)).toMatch(/scan does not exist/);
      }
    });

    it("returns k neighbours among the reference scans, with fetchable thumbnails", async () => {
      const model = await activeModel(t.db);
      const query = await embeddingOf(t.db, scanId, model.id);
      const store = ScanStore.forDataDir(dataDir);
      const classes = ["healthy", "infected", "severe"] as const;
      const thumbnail = await readFile(path.join(CORPUS, "coh00003.jpg"));
      // Eight reference scans: the query vector nudged in one coordinate each, so all are near and distinct.
      for (let i = 0; i < 8; i++) {
        const vector = Array.from(query!);
        vector[i] = (vector[i] ?? 0) + 0.05 * (i + 1);
        const sha256 = createHash("sha256").update(`reference-${i}`).digest("hex");
        const stored = await store.put(sha256, { original: thumbnail, preview: thumbnail, thumbnail });
        const scan = await t.db.scan.create({
          data: { sha256, storageKey: stored.key, width: 10, height: 10, origin: "reference" },
        });
        await t.db.referenceLabel.create({
          data: { scanId: scan.id, class: classes[i % 3]!, source: "test", sourceId: `ref-${i}` },
        });
        await t.db.$executeRaw`
          INSERT INTO "embeddings" ("id", "scan_id", "model_id", "vector")
          VALUES (gen_random_uuid(), ${scan.id}::uuid, ${model.id}, ${pgvector.toSql(vector)}::vector)`;
      }

      const response = await call(neighborsRoute.GET, `/api/v1/scans/${scanId}/neighbors?k=5`, {
        token: tokens.clinician,
        params: { id: scanId },
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const body = (await response.json()) as {
        scanId: string;
        modelId: string;
        neighbors: { scanId: string; class: string; similarity: number; percentile: number; thumbnailUrl: string }[];
        mix: Record<string, number>;
      };
      expect(body.scanId).toBe(scanId);
      expect(body.modelId).toBe(model.id);
      expect(body.neighbors).toHaveLength(5);
      const sims = body.neighbors.map((n) => n.similarity);
      expect([...sims].sort((a, b) => b - a)).toEqual(sims);
      for (const n of body.neighbors) expect(n.percentile).toBeGreaterThanOrEqual(0);
      for (const n of body.neighbors) expect(n.percentile).toBeLessThanOrEqual(1);
      expect(body.mix.healthy! + body.mix.infected! + body.mix.severe!).toBe(5);
      expect(await t.db.auditEvent.count({ where: { action: "neighbours.viewed", targetId: scanId } })).toBe(1);

      const first = body.neighbors[0]!;
      expect(first.thumbnailUrl).toBe(`/api/v1/scans/${first.scanId}/thumbnail`);
      const thumb = await call(thumbnailRoute.GET, first.thumbnailUrl, {
        token: tokens.clinician,
        params: { id: first.scanId },
      });
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get("content-type")).toBe("image/jpeg");

      const all = await call(neighborsRoute.GET, `/api/v1/scans/${scanId}/neighbors`, {
        token: tokens.clinician,
        params: { id: scanId },
      });
      expect(((await all.json()) as { neighbors: unknown[] }).neighbors).toHaveLength(8); // k=36 by default, 8 exist

      for (const k of ["0", "abc", "2.5", "100000"]) {
        const bad = await call(neighborsRoute.GET, `/api/v1/scans/${scanId}/neighbors?k=${k}`, {
          token: tokens.clinician,
          params: { id: scanId },
        });
        expect(bad.status, k).toBe(400);
        expect(await errorOf(bad)).toMatch(/^Invalid query: k/);
      }
      const unknown = randomUUID();
      const missing = await call(neighborsRoute.GET, `/api/v1/scans/${unknown}/neighbors`, {
        token: tokens.clinician,
        params: { id: unknown },
      });
      expect(missing.status).toBe(404);
    });
  });

  describe("command line", () => {
    function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      return new Promise((resolve, reject) => {
        // Asynchronous: the embedded test database is served by this process, whose event loop must stay free.
        const child = spawn(process.execPath, ["--import", "tsx", "scripts/token.ts", ...args], {
          env: { ...process.env, DATABASE_URL: t.url },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
      });
    }

    it("creates a token whose last printed line authenticates, and refuses bad arguments clearly", async () => {
      const created = await runCli(["create", "--email", "CLINICIAN@api.test", "--name", "nightly import"]);
      expect(created.code, created.stderr).toBe(0);
      const token = created.stdout.trim().split("\n").at(-1)!;
      expect(token).toMatch(/^rt_[A-Za-z0-9_-]{43}$/);
      const response = await call(patientScansRoute.GET, `/api/v1/patients/${patientId}/scans`, {
        token,
        params: { id: patientId },
      });
      expect(response.status).toBe(200);
      const row = await t.db.apiToken.findFirstOrThrow({ where: { name: "nightly import" } });
      expect(row).toMatchObject({ userId: actors.clinician.id, createdBy: null });
      const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: "token.created", targetId: row.id } });
      expect(audit).toMatchObject({ actorId: null, details: { via: "cli" } });

      const noName = await runCli(["create", "--email", "clinician@api.test"]);
      expect(noName.code).toBe(2);
      expect(noName.stderr).toMatch(/Missing --name/);
    });
  });
});
