// A bulk job survives the server being killed: a second Radtrack (`npm start` on its own data directory and port,
// and its own database when DATABASE_URL names a server) takes a 200-scan job, its whole process group is SIGKILLed
// mid-job, it is started again, and the job finishes with exactly 200 scans, no duplicates, every scan recorded once
// in the audit trail, and no file in the store without its scan row.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import { buildZip } from "@/lib/bulk/zip-writer";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { createDatabase, dropDatabase } from "@/scripts/ci/e2e-db";

const COUNT = 200;
const email = "restart-admin@e2e.test";
const password = "restart-Admin-passw0rd";
const corpus = path.resolve(process.env.RADTRACK_SHARED_DIR ?? "../shared", "data", "cxr");
const serverUrl = process.env.DATABASE_URL || undefined;
const dbName = `radtrack_restart_${process.pid}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

class App {
  child: ChildProcess | undefined;
  log = "";
  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly base: string,
  ) {}

  async start() {
    // Its own process group, so that the kill takes the launcher, the embedded database and the web server at once.
    this.child = spawn("npm", ["start"], { env: this.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d: Buffer) => (this.log += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.log += d.toString()));
    const until = Date.now() + 240_000;
    while (Date.now() < until) {
      if (this.child.exitCode !== null) throw new Error(`the server exited:\n${this.log.slice(-3000)}`);
      const ok = await fetch(`${this.base}/login`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the server did not start:\n${this.log.slice(-3000)}`);
  }

  async stop(signal: "SIGKILL" | "SIGTERM") {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid!, signal);
    } catch {
      return;
    }
    await exited;
    if (signal === "SIGTERM") {
      // The launcher closes the embedded database on SIGTERM; give it the moment it needs.
      await new Promise((r) => setTimeout(r, 1500));
    }
  }
}

let dir: string;
let app: App;
let databaseUrl: string | undefined;

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "radtrack-restart-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    RADTRACK_DATA_DIR: path.join(dir, "data"),
    RADTRACK_ADMIN_EMAIL: email,
    RADTRACK_ADMIN_PASSWORD: password,
    // No reference library to seed in the background: this instance only does the bulk job.
    RADTRACK_CORPUS_DIR: path.join(dir, "no-corpus"),
    NEXT_TELEMETRY_DISABLED: "1",
  };
  if (serverUrl) {
    databaseUrl = await createDatabase(serverUrl, dbName);
    env.DATABASE_URL = databaseUrl;
  } else {
    delete env.DATABASE_URL;
  }
  app = new App(env, `http://127.0.0.1:${port}`);
});

test.afterAll(async () => {
  await app?.stop("SIGKILL");
  if (serverUrl) await dropDatabase(serverUrl, dbName).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(page: Page) {
  await page.goto(`${app.base}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/patients/);
}

interface Progress {
  status: string;
  total: number;
  processed: number;
  failed: number;
  stored: number;
  duplicate: number;
}

test("a bulk job finishes after the server is killed mid-job, with nothing done twice", async ({ page }) => {
  test.setTimeout(420_000);
  const files = readdirSync(corpus)
    .filter((f) => /^(coh|nih|mhh|ped)\d+\.jpg$/.test(f))
    .sort()
    .filter((_, i) => i % 11 === 0)
    .slice(0, COUNT);
  expect(files).toHaveLength(COUNT);
  const mrns = ["RESTART-1", "RESTART-2", "RESTART-3", "RESTART-4"];
  const manifest = ["mrn,acquired_at,file"];
  files.forEach((f, i) => manifest.push(`${mrns[i % 4]},2025-02-${String(1 + (i % 28)).padStart(2, "0")},${f}`));
  writeFileSync(path.join(dir, "manifest.csv"), manifest.join("\n"));
  writeFileSync(
    path.join(dir, "scans.zip"),
    buildZip(files.map((f) => ({ name: f, data: readFileSync(path.join(corpus, f)), method: 0 as const }))),
  );

  const t0 = Date.now();
  await app.start();
  const started = Date.now();
  await signIn(page);
  await page.goto(`${app.base}/admin/bulk`);
  const form = page.getByRole("form", { name: "Bulk upload" });
  await form.getByLabel("Zip file or images").setInputFiles(path.join(dir, "scans.zip"));
  await form.getByLabel("Manifest (CSV, optional)").setInputFiles(path.join(dir, "manifest.csv"));
  await form.getByRole("button", { name: "Upload and check" }).click();
  await expect(page).toHaveURL(/\/admin\/bulk\/[0-9a-f-]{36}$/, { timeout: 60_000 });
  const jobId = page.url().split("/").pop()!;
  const start = page.getByRole("form", { name: "Start the bulk upload" });
  await start.getByLabel("Create these 4 patients").check();
  await start.getByRole("button", { name: `Start: process ${COUNT} files` }).click();
  await expect(page.getByTestId("job-status")).not.toHaveText("checked, not started");

  const progress = async () => {
    const response = await page.request.get(`${app.base}/api/bulk/${jobId}/progress`);
    expect(response.status()).toBe(200);
    return (await response.json()) as Progress;
  };
  // Kill the whole server mid-job: launcher, embedded database, web server and worker.
  let before: Progress;
  for (;;) {
    before = await progress();
    if (before.processed >= 30 || before.status === "succeeded") break;
    await new Promise((r) => setTimeout(r, 150));
  }
  expect(before.status, "the job ended before the kill: make it longer").toBe("running");
  await app.stop("SIGKILL");
  const killedAt = Date.now();
  console.log(
    `restart spec: killed at ${before.processed}/${COUNT} after ${((killedAt - started) / 1000).toFixed(1)} s`,
  );

  await app.start();
  let after: Progress;
  for (;;) {
    after = await progress();
    if (!["queued", "running"].includes(after.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(
    `restart spec: finished ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill ` +
      `(${((Date.now() - t0) / 1000).toFixed(1)} s in all)`,
  );
  expect(after).toMatchObject({ status: "succeeded", total: COUNT, processed: COUNT, stored: COUNT, failed: 0 });
  await app.stop("SIGTERM");

  // The database itself: the embedded one is opened here once the server is gone.
  let url = databaseUrl;
  const embedded = url ? undefined : await startEmbeddedDatabase({ dataDir: path.join(dir, "data") });
  url ??= embedded!.url;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (sql: string, values: unknown[] = []) => (await client.query(sql, values)).rows[0];
    expect(await one(`SELECT count(*)::int AS n FROM scans WHERE origin = 'bulk'`)).toEqual({ n: COUNT });
    expect(await one(`SELECT count(DISTINCT (patient_id, sha256))::int AS n FROM scans`)).toEqual({ n: COUNT });
    expect(await one(`SELECT count(*)::int AS n FROM embeddings`)).toEqual({ n: COUNT });
    expect(await one(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'scan.uploaded'`)).toEqual({
      n: COUNT,
    });
    expect(
      await one(`SELECT count(*)::int AS n FROM bulk_items WHERE job_id = $1 AND status = 'stored'`, [jobId]),
    ).toEqual({ n: COUNT });
    const keys = new Set((await client.query(`SELECT storage_key FROM scans`)).rows.map((r) => r.storage_key));
    // Every folder in the store has its scan row.
    const store = path.join(dir, "data", "scans");
    const folders = readdirSync(store).flatMap((fan) => readdirSync(path.join(store, fan)).map((f) => `${fan}/${f}`));
    expect(folders.filter((f) => !keys.has(f))).toEqual([]);
    expect(folders).toHaveLength(COUNT);
  } finally {
    await client.end();
    await embedded?.stop();
  }
});
