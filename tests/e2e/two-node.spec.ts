// Two nodes on one machine: two web servers (`npm run web`) and two workers (`npm run worker`), each with its own port
// and data directory, sharing one PostgreSQL (a database made for this test on the DATABASE_URL server) and one
// S3-protocol server (s3rver). An upload through web A is visible through web B; a 200-file bulk job is shared by both
// workers, one of which is killed (SIGKILL) mid-job, and the other finishes it with exactly 200 scans; a session and
// a token (minted by `npm run token` while the servers run) are valid on both; login throttling holds across both.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import { hashPassword } from "@/lib/auth/password";
import { buildZip } from "@/lib/bulk/zip-writer";
import { buildIsCurrent } from "@/lib/runtime/build-stamp";
import { createDatabase, dropDatabase } from "@/scripts/ci/e2e-db";
import { startS3Server, type TestS3Server } from "@/tests/support/s3-server";

const root = path.resolve(import.meta.dirname, "..", "..");
const corpus = path.resolve(process.env.RADTRACK_SHARED_DIR ?? path.join(root, "..", "shared"), "data", "cxr");
const serverUrl = process.env.DATABASE_URL;
const FILES = 200;
const ADMIN = { email: "admin@two-node.test", password: "two-node-Admin-passw0rd" };
const stamp = Date.now().toString(36).toUpperCase();
const MRNS = [1, 2, 3, 4].map((n) => `NODE-${stamp}-${n}`);

interface Role {
  name: string;
  child: ChildProcess;
  log: string;
  port?: number;
}

let dir: string;
let dbName: string;
let dbUrl: string;
let s3: TestS3Server;
let db: pg.Client;
/** Minted by `npm run token` in the first test, used by the API calls after it. */
let token = "";
const roles: Role[] = [];
const started = Date.now();
const say = (line: string) => console.log(`[two-node +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

// Generous limits: four servers and a browser share the machine with whatever else runs (a load of 20 on 2 cores
// slows a sign-in to 20 s).
test.describe.configure({ mode: "serial", timeout: 180_000 });
test.skip(!serverUrl, "needs PostgreSQL: DATABASE_URL=$(bash scripts/ci/pg-cluster.sh start)");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function commonEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...s3.env("two-node"),
    DATABASE_URL: dbUrl,
    AUTH_SECRET: "two-node-test-secret-shared-by-both-web-servers",
    RADTRACK_ADMIN_EMAIL: ADMIN.email,
    RADTRACK_ADMIN_PASSWORD: ADMIN.password,
    // Four processes on a small machine: one inference thread each.
    EMBED_THREADS: "1",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

/** Starts `script` as its own process group (so that the web launcher and its server stop together). */
function startRole(name: string, script: string, env: NodeJS.ProcessEnv, port?: number): Role {
  const log = path.join(dir, `${name}.log`);
  const out = createWriteStream(log);
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: { ...env, RADTRACK_DATA_DIR: path.join(dir, `data-${name}`), ...(port ? { PORT: String(port) } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const role = { name, child, log, port };
  roles.push(role);
  return role;
}

function tail(role: Role, lines = 30): string {
  try {
    return readFileSync(role.log, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, role: Role | null, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (role && role.child.exitCode !== null) throw new Error(`${role.name} exited early:\n${tail(role)}`);
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}${role ? `; ${role.name} said:\n${tail(role)}` : ""}`);
}

const webReady = (role: Role) =>
  waitFor(`${role.name} to serve`, async () => (await fetch(`${url(role)}/login`)).ok, role);
const workerReady = (role: Role) =>
  waitFor(`${role.name} to be ready`, async () => readFileSync(role.log, "utf8").includes("ready: bulk"), role);
const url = (role: Role) => `http://127.0.0.1:${role.port}`;

function stopGroup(role: Role, signal: NodeJS.Signals) {
  try {
    process.kill(-role.child.pid!, signal);
  } catch {
    // already gone
  }
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  // Two web servers would both build a stale checkout at once: npm test builds first (its build stage).
  expect(await buildIsCurrent(root), "the build is stale: run `npm test -- --only e2e` or next build").toBe(true);
  dir = mkdtempSync(path.join(os.tmpdir(), "radtrack-two-node-"));
  dbName = `radtrack_two_node_${process.pid}`;
  dbUrl = await createDatabase(serverUrl!, dbName);
  s3 = await startS3Server("radtrack-two-node");
  const [portA, portB] = [await freePort(), await freePort()];
  // All four at once: migrations take an advisory lock, the first admin is created once, queues are created once.
  const webs = [
    startRole("web-a", "scripts/web.ts", commonEnv(), portA),
    startRole("web-b", "scripts/web.ts", commonEnv(), portB),
  ];
  const workers = [1, 2].map((n) => startRole(`worker-${n}`, "scripts/worker.ts", commonEnv()));
  await Promise.all([...webs.map(webReady), ...workers.map(workerReady)]);
  say(`web A :${portA}, web B :${portB}, workers pid ${workers.map((w) => w.child.pid).join(" and ")} ready`);
  db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
});

test.afterEach(({}, testInfo) => {
  if (testInfo.status === testInfo.expectedStatus) return;
  for (const role of roles) console.log(`--- ${role.name} (last lines)\n${tail(role, 15)}`);
});

test.afterAll(async () => {
  for (const role of roles) stopGroup(role, "SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 1500));
  for (const role of roles) stopGroup(role, "SIGKILL");
  await db?.end().catch(() => {});
  await s3?.stop();
  if (serverUrl) await dropDatabase(serverUrl, dbName).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const web = (name: "web-a" | "web-b") => roles.find((r) => r.name === name)!;

async function signIn(page: Page, role: Role, email = ADMIN.email, password = ADMIN.password) {
  await page.goto(`${url(role)}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a token from `npm run token` and a session from web A are valid on both web servers", async ({ page }) => {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/token.ts", "create", "--email", ADMIN.email, "--name", "two-node"],
    { cwd: root, env: commonEnv(), encoding: "utf8" },
  );
  expect(run.status, run.stderr).toBe(0);
  token = run.stdout.trim().split("\n").pop()!;
  for (const name of ["web-a", "web-b"] as const) {
    const response = await fetch(`${url(web(name))}/api/v1/patients?q=NODE`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(response.status, name).toBe(200);
  }
  const forged = await fetch(`${url(web("web-b"))}/api/v1/patients?q=NODE`, {
    headers: { Authorization: `Bearer ${token.slice(0, -2)}xx` },
  });
  expect(forged.status).toBe(401);

  await signIn(page, web("web-a"));
  await expect(page).toHaveURL(/\/patients/, { timeout: 30_000 });
  // The same cookie, on the other server: signed in there too (one AUTH_SECRET, users in the shared database).
  await page.goto(`${url(web("web-b"))}/patients`);
  await expect(page).toHaveURL(/\/patients/, { timeout: 30_000 });
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  say("token and session valid on web A and web B");
});

test("a scan uploaded through web A is visible, with its preview from the bucket, through web B", async ({ page }) => {
  const api = (role: Role, route: string, init: RequestInit = {}) =>
    fetch(`${url(role)}/api/v1${route}`, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...init.headers },
    });
  const created = await api(web("web-a"), "/patients", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ mrn: `UP-${stamp}`, name: "Two Node", sex: "female" }),
  });
  expect(created.status).toBe(201);
  const patientId = ((await created.json()) as { id: string }).id;
  const file = readdirSync(corpus).find((f) => /^nih\d+\.jpg$/.test(f))!;
  const form = new FormData();
  form.set("file", new Blob([readFileSync(path.join(corpus, file))], { type: "image/jpeg" }), file);
  form.set("acquiredAt", "2025-02-03");
  const upload = await api(web("web-a"), `/patients/${patientId}/scans`, { method: "POST", body: form });
  expect(upload.status, await upload.clone().text()).toBe(201);
  const scanId = ((await upload.json()) as { id: string }).id;

  const list = await api(web("web-b"), `/patients/${patientId}/scans`);
  expect(list.status).toBe(200);
  expect(((await list.json()) as { scans: { id: string }[] }).scans.map((s) => s.id)).toEqual([scanId]);
  const preview = await api(web("web-b"), `/scans/${scanId}/preview`);
  expect(preview.status).toBe(200);
  expect(preview.headers.get("content-type")).toBe("image/jpeg");
  expect(Buffer.from(await preview.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  await signIn(page, web("web-a"));
  await expect(page).toHaveURL(/\/patients/, { timeout: 30_000 });
  await page.goto(`${url(web("web-b"))}/patients/${patientId}`);
  await expect(page.getByRole("heading", { name: "Two Node" })).toBeVisible();
  say(`scan ${scanId} uploaded through web A, listed and previewed through web B`);
});

test("a 200-file bulk job is shared by both workers; one is killed mid-job and the other finishes it", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const ids = readdirSync(corpus)
    .filter((f) => /^(coh|nih|mhh)\d+\.jpg$/.test(f))
    .sort()
    .filter((_, i) => i % 5 === 2)
    .slice(0, FILES);
  expect(ids).toHaveLength(FILES);
  const lines = ["mrn,acquired_at,file"];
  const entries = ids.map((file, i) => {
    const day = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    lines.push(`${MRNS[i % MRNS.length]},${day},${file}`);
    return { name: file, data: readFileSync(path.join(corpus, file)), method: 0 as const };
  });
  const zipPath = path.join(dir, "two-node.zip");
  const manifestPath = path.join(dir, "manifest.csv");
  writeFileSync(zipPath, buildZip(entries));
  writeFileSync(manifestPath, lines.join("\n") + "\n");

  await signIn(page, web("web-a"));
  await expect(page).toHaveURL(/\/patients/, { timeout: 30_000 });
  await page.goto(`${url(web("web-a"))}/admin/bulk`);
  const form = page.getByRole("form", { name: "Bulk upload" });
  await form.getByLabel("Zip file or images").setInputFiles(zipPath);
  await form.getByLabel("Manifest (CSV, optional)").setInputFiles(manifestPath);
  await form.getByRole("button", { name: "Upload and check" }).click();
  await expect(page).toHaveURL(/\/admin\/bulk\/[0-9a-f-]{36}$/, { timeout: 90_000 });
  const jobId = page.url().split("/").pop()!;
  const start = page.getByRole("form", { name: "Start the bulk upload" });
  await start.getByLabel(`Create these ${MRNS.length} patients`).check();
  await start.getByRole("button", { name: `Start: process ${FILES} files` }).click();
  say(`bulk job ${jobId} of ${FILES} files started through web A`);

  const [victim, survivor] = roles.filter((r) => r.name.startsWith("worker-"));
  const storedBy = async () => {
    // A stored file keeps the claim of the worker that stored it: "<host>:<pid>:<boot>:<holder>".
    const { rows } = await db.query<{ pid: string; n: string }>(
      `SELECT split_part("claimed_by", ':', 2) AS pid, count(*) AS n FROM "bulk_items"
       WHERE "job_id" = $1 AND "status" = 'stored' GROUP BY 1`,
      [jobId],
    );
    return new Map(rows.map((r) => [Number(r.pid), Number(r.n)]));
  };
  const count = (m: Map<number, number>, role: Role) => m.get(role.child.pid!) ?? 0;
  await waitFor(
    "both workers to have stored files",
    async () => {
      const by = await storedBy();
      return count(by, victim!) >= 16 && count(by, survivor!) >= 1;
    },
    null,
    150_000,
  );
  const before = await storedBy();
  const total = [...before.values()].reduce((a, b) => a + b, 0);
  expect(total, "the job must still be running when the worker is killed").toBeLessThan(FILES);
  stopGroup(victim!, "SIGKILL");
  say(
    `SIGKILL worker pid ${victim!.child.pid} after ${total} files (${count(before, victim!)} by it, ` +
      `${count(before, survivor!)} by pid ${survivor!.child.pid})`,
  );

  await expect(page.getByTestId("job-status")).toHaveText("succeeded", { timeout: 150_000 });
  const after = await storedBy();
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM "scans" s JOIN "patients" p ON p."id" = s."patient_id" WHERE p."mrn" = ANY($1)`,
    [MRNS],
  );
  expect(Number(rows[0]!.n)).toBe(FILES);
  const items = await db.query<{ status: string; n: string }>(
    `SELECT "status", count(*) AS n FROM "bulk_items" WHERE "job_id" = $1 GROUP BY 1`,
    [jobId],
  );
  expect(items.rows).toEqual([{ status: "stored", n: String(FILES) }]);
  expect(count(after, victim!)).toBe(count(before, victim!));
  expect(count(after, survivor!)).toBeGreaterThan(count(before, survivor!));
  say(
    `job succeeded: ${FILES} scans, ${count(after, victim!)} stored by the killed worker, ` +
      `${count(after, survivor!)} by the survivor`,
  );
});

test("login throttling holds across both web servers", async ({ page }) => {
  const email = `throttle-${stamp.toLowerCase()}@two-node.test`;
  const password = "throttle-Right-passw0rd";
  await db.query(
    `INSERT INTO "users" ("id", "email", "name", "role", "password_hash", "updated_at")
     VALUES (gen_random_uuid(), $1, 'Throttle', 'clinician', $2, now())`,
    [email, await hashPassword(password)],
  );
  // Five wrong passwords from this address, alternating between the servers: the pair is locked on both.
  for (let i = 0; i < 5; i++) {
    await signIn(page, web(i % 2 ? "web-b" : "web-a"), email, `wrong-password-${i}`);
    await expect(page.locator(".form-error")).toBeVisible();
  }
  for (const name of ["web-a", "web-b"] as const) {
    await signIn(page, web(name), email, password);
    await expect(page.locator(".form-error")).toContainText("Too many failed sign-in attempts");
    await expect(page).toHaveURL(/\/login/);
  }
  say("five failures split over web A and web B lock the account on both");
});
