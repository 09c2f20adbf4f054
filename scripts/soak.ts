// `npm run soak`: a bounded load and fault run on loopback against a Radtrack it starts itself (`npm start` on the
// embedded default, in a temporary data directory, on a free port). Not a test: it prints a table and writes
// bench/results/soak.json; the figures go in docs/benchmarks.md.
//
//   npm run soak -- [--seconds 60] [--clients 20] [--uploaders 2] [--patients 4] [--scans 8] [--bulk 60]
//                   [--kill 1] [--keep] [--name soak]
//
//   --seconds    length of the load phase
//   --clients    concurrent readers, each looping over the patient list page, a timeline page, a scan's neighbours
//                (API) and a preview (API), one request at a time
//   --uploaders  concurrent uploaders (POST /api/v1/patients/{id}/scans, a new corpus film each time) during the load
//   --patients / --scans   the patients and films per patient prepared before the server starts
//   --bulk       films in the bulk job that is killed mid-way (0: no bulk phase)
//   --kill 0     skip both SIGKILLs (load only)
//   --keep       keep the data directory (its path is printed)
//   --name       results file bench/results/<name>.json (default soak)
//
// Phases: prepare the data with the app's own code; start; sign in (Chromium, for the pages' session cookie; the API
// uses a clinician's token); load for --seconds; SIGKILL the whole server (launcher, embedded database, web server)
// while uploads are in flight; restart; a bulk job through the admin's web page, SIGKILL mid-job; restart; wait for
// the job; stop; integrity check on the database and the store: every acknowledged upload present exactly once, no
// row without its three files, no folder without its row once the app's orphan sweep has run (folders the kills
// left are counted apart), every bulk job ended, a scan.uploaded event for every
// stored scan. The table ends with one line `N requests, N errors` (the load phase; requests cut by the planned kills
// are counted apart, as "interrupted").
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium, type Page } from "@playwright/test";
import pg from "pg";
import { hashPassword } from "@/lib/auth/password";
import { buildZip } from "@/lib/bulk/zip-writer";
import { createDb } from "@/lib/db/client";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { ingestScan } from "@/lib/scans/ingest";
import { sweepOrphans } from "@/lib/storage/orphan-sweep";
import { ScanStore } from "@/lib/storage/scan-store";
import { refreshPatientDrift } from "@/lib/timeline/refresh";
import { createToken } from "@/lib/tokens/service";
import { ensureFirstAdmin } from "@/lib/users/bootstrap";
import { e2eCorpus } from "@/tests/support/e2e-corpus";
import { machine, writeResult } from "./bench-results";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    clients: { type: "string", default: "20" },
    uploaders: { type: "string", default: "2" },
    patients: { type: "string", default: "4" },
    scans: { type: "string", default: "8" },
    bulk: { type: "string", default: "60" },
    kill: { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
    name: { type: "string", default: "soak" },
  },
});
function whole(name: keyof typeof values, min: number): number {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be a whole number >= ${min}, got ${String(values[name])}`);
    process.exit(2);
  }
  return n;
}
const seconds = whole("seconds", 1);
const clients = whole("clients", 1);
const uploaders = whole("uploaders", 0);
const patientCount = whole("patients", 1);
const scansPerPatient = whole("scans", 1);
const bulkCount = whole("bulk", 0);
const kill = values.kill !== "0";

const admin = { email: "soak-admin@radtrack.test", password: "soak-admin-password-1" };
const clinician = { email: "soak-clinician@radtrack.test", password: "soak-clinician-password-1" };
const log = (line: string) => console.log(`[soak] ${line}`);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** `npm start` in its own process group, so that SIGKILL takes the launcher, the database and the web server. */
class Server {
  child: ChildProcess | undefined;
  output = "";
  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly base: string,
  ) {}

  async start(): Promise<number> {
    const t0 = Date.now();
    this.output = "";
    this.child = spawn("npm", ["start"], { env: this.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    const until = Date.now() + 900_000; // the first start may build the app
    while (Date.now() < until) {
      if (this.child.exitCode !== null) throw new Error(`the server exited:\n${this.output.slice(-3000)}`);
      const ok = await fetch(`${this.base}/login`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the server did not start:\n${this.output.slice(-3000)}`);
  }

  async stop(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid!, signal);
    } catch {
      return;
    }
    await exited;
    // The launcher closes the embedded database on SIGTERM; a SIGKILLed group may leave a child a moment longer.
    await new Promise((r) => setTimeout(r, signal === "SIGTERM" ? 2000 : 500));
  }
}

// ---- 1. prepare ------------------------------------------------------------------------------------------------------

const dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-soak-"));
process.env.RADTRACK_DATA_DIR = dataDir;
const corpusDirPath = realCorpusDir();
const { table, subset, timeline } = await e2eCorpus();
const taken = new Set([...subset, ...timeline.films.map((f) => f.id)]);
const spare = [...table.rows.keys()].filter((id) => !taken.has(id)).sort();
const prepared = spare.slice(0, patientCount * scansPerPatient);
const bulkFilms = spare.slice(prepared.length, prepared.length + bulkCount);
const uploadFilms = spare.slice(prepared.length + bulkCount);
const patientIds: string[] = [];
const scanIds: string[] = [];
let token: string;
log(`data directory ${dataDir}`);
{
  const embedded = await startEmbeddedDatabase({ dataDir });
  try {
    await migrate(embedded.url);
    const db = createDb(embedded.url);
    await ensureFirstAdmin(db, admin);
    const user = await db.user.create({
      data: {
        email: clinician.email,
        name: "Soak Clinician",
        role: "clinician",
        passwordHash: await hashPassword(clinician.password),
      },
    });
    token = (await createToken(db, { userId: user.id, name: "soak" }, { actor: null, ip: null })).token;
    const corpus = await makeCorpusSubset(table, { ids: subset });
    await importReferenceLibrary(db, corpus.dir);
    await corpus.remove();
    for (let p = 0; p < patientCount; p++) {
      const patient = await db.patient.create({
        data: { mrn: `SOAK-${p + 1}`, name: `Soak Patient ${p + 1}`, sex: "unknown" },
      });
      patientIds.push(patient.id);
      for (let s = 0; s < scansPerPatient; s++) {
        const id = prepared[p * scansPerPatient + s]!;
        const bytes = await readFile(path.join(corpusDirPath, `${id}.jpg`));
        const acquiredAt = new Date(Date.UTC(2025, 0, 1) + s * 7 * 86_400_000);
        const result = await ingestScan(
          db,
          { patientId: patient.id, bytes, origin: "upload", acquiredAt },
          { actor: null, ip: null },
        );
        scanIds.push(result.scanId);
      }
      // As the upload action does after storing films: the pages read the stored drift, they do not compute it.
      await refreshPatientDrift(db, patient.id);
    }
    await db.$disconnect();
  } finally {
    await embedded.stop();
  }
}
log(
  `prepared ${patientCount} patients with ${scansPerPatient} scans each and a reference library of ${subset.length} films`,
);

// ---- 2. start and sign in --------------------------------------------------------------------------------------------

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = new Server(
  {
    ...process.env,
    RADTRACK_DATA_DIR: dataDir,
    PORT: String(port),
    RADTRACK_DEMO_DATA: "0",
    DATABASE_URL: "",
    RADTRACK_CORPUS_DIR: path.join(dataDir, "no-corpus"),
    NEXT_TELEMETRY_DISABLED: "1",
  },
  base,
);
const loadSamples: number[] = [];
const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]!), 5000);
const loadBefore = os.loadavg()[0]!;
const startMs: number[] = [];

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto(`${base}/login`);
  await page.getByLabel("E-mail").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/patients/, { timeout: 60_000 });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
  ],
});

type Route = "list" | "timeline" | "neighbours" | "preview" | "upload";
const ROUTES: Route[] = ["list", "timeline", "neighbours", "preview", "upload"];
const latencies: Record<Route, number[]> = { list: [], timeline: [], neighbours: [], preview: [], upload: [] };
const errors: Record<Route, number> = { list: 0, timeline: 0, neighbours: 0, preview: 0, upload: 0 };
const errorSamples: string[] = [];
let interrupted = 0;
/** Uploads the server acknowledged (201): each must be in the database exactly once at the end. */
const acknowledged: { scanId: string; patientId: string; sha256: string }[] = [];
let uploadCursor = 0;

let cookie = "";
const bearer = () => ({ authorization: `Bearer ${token}` });

async function timed(
  route: Route,
  url: string,
  init: RequestInit,
  ok: (status: number) => boolean,
  counted: () => boolean,
) {
  const t0 = performance.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
    const body = await response.arrayBuffer();
    const ms = performance.now() - t0;
    if (!counted()) return { response, body };
    latencies[route].push(ms);
    if (!ok(response.status)) {
      errors[route]++;
      if (errorSamples.length < 20)
        errorSamples.push(`${route} ${response.status} ${Buffer.from(body).toString("utf8").slice(0, 200)}`);
    }
    return { response, body };
  } catch (error) {
    if (!counted()) {
      interrupted++;
      return null;
    }
    latencies[route].push(performance.now() - t0);
    errors[route]++;
    if (errorSamples.length < 20) errorSamples.push(`${route} ${(error as Error).message}`);
    return null;
  }
}

function reader(until: number, counted: () => boolean, offset: number) {
  return (async () => {
    for (let i = offset; Date.now() < until; i++) {
      const route = (["list", "timeline", "neighbours", "preview"] as const)[i % 4]!;
      const patientId = patientIds[i % patientIds.length]!;
      const scanId = scanIds[i % scanIds.length]!;
      const url = {
        list: `${base}/patients`,
        timeline: `${base}/patients/${patientId}`,
        neighbours: `${base}/api/v1/scans/${scanId}/neighbors?k=36`,
        preview: `${base}/api/v1/scans/${scanId}/preview`,
      }[route];
      const headers = route === "list" || route === "timeline" ? { cookie } : bearer();
      await timed(route, url, { headers, redirect: "manual" }, (s) => s === 200, counted);
    }
  })();
}

async function uploadOne(counted: () => boolean): Promise<void> {
  const id = uploadFilms[uploadCursor++ % uploadFilms.length]!;
  const bytes = await readFile(path.join(corpusDirPath, `${id}.jpg`));
  const patientId = patientIds[uploadCursor % patientIds.length]!;
  const form = new FormData();
  form.set("file", new File([new Uint8Array(bytes)], `${id}.jpg`, { type: "image/jpeg" }));
  form.set("acquiredAt", "2025-06-01");
  const result = await timed(
    "upload",
    `${base}/api/v1/patients/${patientId}/scans`,
    { method: "POST", body: form, headers: bearer() },
    (s) => s === 201,
    counted,
  );
  if (result?.response.status === 201) {
    const { id: scanId } = JSON.parse(Buffer.from(result.body).toString("utf8")) as { id: string };
    acknowledged.push({ scanId, patientId, sha256: createHash("sha256").update(bytes).digest("hex") });
  }
}

function uploader(until: number, counted: () => boolean) {
  return (async () => {
    while (Date.now() < until && uploadCursor < uploadFilms.length) await uploadOne(counted);
  })();
}

let result: object;
try {
  startMs.push(await server.start());
  log(`server up on ${base} in ${(startMs[0]! / 1000).toFixed(1)} s`);
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, clinician);
  cookie = (await context.cookies(base)).map((c) => `${c.name}=${c.value}`).join("; ");
  // One unmeasured pass: the server's first render of each page (its caches and compiled code) is not counted.
  for (const patientId of patientIds) await fetch(`${base}/patients/${patientId}`, { headers: { cookie } });

  // ---- 3. load ---------------------------------------------------------------------------------------------------
  log(`load: ${clients} clients and ${uploaders} uploaders for ${seconds} s`);
  const loadStart = Date.now();
  const until = loadStart + seconds * 1000;
  const always = () => true;
  await Promise.all([
    ...Array.from({ length: clients }, (_, c) => reader(until, always, c)),
    ...Array.from({ length: uploaders }, () => uploader(until, always)),
  ]);
  const loadSeconds = (Date.now() - loadStart) / 1000;
  const loadDuring = loadSamples.length
    ? loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length
    : os.loadavg()[0]!;

  const faults: Record<string, unknown> = {};
  if (kill) {
    // ---- 4. SIGKILL during uploads ---------------------------------------------------------------------------------
    let live = true;
    const during = () => live;
    const burst = Array.from({ length: Math.max(2, uploaders) }, () =>
      (async () => {
        while (live) await uploadOne(during);
      })(),
    );
    await new Promise((r) => setTimeout(r, 2500));
    live = false;
    const ackedBefore = acknowledged.length;
    await server.stop("SIGKILL");
    await Promise.all(burst);
    faults.uploadKill = { acknowledgedBeforeKill: ackedBefore, interruptedRequests: interrupted };
    log(`SIGKILL during uploads: ${acknowledged.length} uploads acknowledged so far, ${interrupted} requests cut`);
    startMs.push(await server.start());

    // ---- 5. SIGKILL during a bulk job ------------------------------------------------------------------------------
    if (bulkCount > 0) {
      const zipPath = path.join(dataDir, "..", `${path.basename(dataDir)}-bulk.zip`);
      const manifestPath = `${zipPath}.csv`;
      await writeFile(
        zipPath,
        buildZip(
          await Promise.all(
            bulkFilms.map(async (id) => ({
              name: `${id}.jpg`,
              data: await readFile(path.join(corpusDirPath, `${id}.jpg`)),
              method: 0 as const,
            })),
          ),
        ),
      );
      await writeFile(
        manifestPath,
        [
          "mrn,acquired_at,file",
          ...bulkFilms.map(
            (id, i) => `SOAK-BULK-${(i % 3) + 1},2025-03-${String(1 + (i % 28)).padStart(2, "0")},${id}.jpg`,
          ),
        ].join("\n"),
      );
      const adminContext = await browser.newContext();
      const adminPage = await adminContext.newPage();
      await signIn(adminPage, admin);
      await adminPage.goto(`${base}/admin/bulk`);
      const form = adminPage.getByRole("form", { name: "Bulk upload" });
      await form.getByLabel("Zip file or images").setInputFiles(zipPath);
      await form.getByLabel("Manifest (CSV, optional)").setInputFiles(manifestPath);
      await form.getByRole("button", { name: "Upload and check" }).click();
      await adminPage.waitForURL(/\/admin\/bulk\/[0-9a-f-]{36}$/, { timeout: 120_000 });
      const jobId = adminPage.url().split("/").pop()!;
      const start = adminPage.getByRole("form", { name: "Start the bulk upload" });
      await start.getByLabel(/Create these \d+ patients?/).check();
      await start.getByRole("button", { name: `Start: process ${bulkCount} files` }).click();
      const progress = async () =>
        (await (await adminPage.request.get(`${base}/api/bulk/${jobId}/progress`)).json()) as {
          status: string;
          processed: number;
          total: number;
          stored: number;
          failed: number;
        };
      let before = await progress();
      const deadline = Date.now() + 300_000;
      while (before.processed < Math.ceil(bulkCount / 4) && before.status !== "succeeded" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        before = await progress();
      }
      await server.stop("SIGKILL");
      log(`SIGKILL during the bulk job at ${before.processed}/${before.total} (${before.status})`);
      await adminContext.close();
      startMs.push(await server.start());
      const again = await browser.newContext();
      const againPage = await again.newPage();
      await signIn(againPage, admin);
      let after = before;
      const finish = Date.now() + 600_000;
      for (;;) {
        after = (await (await againPage.request.get(`${base}/api/bulk/${jobId}/progress`)).json()) as typeof before;
        if (!["queued", "running"].includes(after.status) || Date.now() > finish) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      await again.close();
      faults.bulkKill = { jobId, killedAt: before, finished: after };
      log(
        `bulk job ${after.status}: ${after.processed}/${after.total}, ${after.stored} stored, ${after.failed} failed`,
      );
      await rm(zipPath, { force: true });
      await rm(manifestPath, { force: true });
    }
  }
  await context.close();
  await server.stop("SIGTERM");

  // ---- 6. integrity ----------------------------------------------------------------------------------------------
  const embedded = await startEmbeddedDatabase({ dataDir });
  const client = new pg.Client({ connectionString: embedded.url });
  await client.connect();
  const integrity: Record<string, number> = {};
  try {
    const rows = async <T>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as T[];
    const scans = await rows<{ id: string; patient_id: string | null; sha256: string; storage_key: string }>(
      "SELECT id, patient_id, sha256, storage_key FROM scans",
    );
    const byId = new Map(scans.map((s) => [s.id, s]));
    const copies = new Map<string, number>();
    for (const s of scans)
      if (s.patient_id) copies.set(`${s.patient_id}/${s.sha256}`, (copies.get(`${s.patient_id}/${s.sha256}`) ?? 0) + 1);
    integrity.acknowledgedUploads = acknowledged.length;
    integrity.acknowledgedMissing = acknowledged.filter((a) => !byId.has(a.scanId)).length;
    integrity.acknowledgedNotExactlyOnce = acknowledged.filter(
      (a) => copies.get(`${a.patientId}/${a.sha256}`) !== 1,
    ).length;
    integrity.duplicateScans = [...copies.values()].filter((n) => n > 1).length;
    const store = path.join(dataDir, "scans");
    integrity.rowsWithoutFiles = scans.filter(
      (s) => !["original", "preview.jpg", "thumb.jpg"].every((f) => existsSync(path.join(store, s.storage_key, f))),
    ).length;
    const keys = new Set(scans.map((s) => s.storage_key));
    const folders = existsSync(store)
      ? readdirSync(store).flatMap((fan) => readdirSync(path.join(store, fan)).map((f) => `${fan}/${f}`))
      : [];
    // A kill between writing a scan's files and committing its row leaves a folder that the server's sweep removes
    // once it is older than its grace period (an hour). Every process is stopped here, so the same sweep may run
    // with no grace: what it leaves behind is a real problem, what it removes is reported apart.
    integrity.foldersLeftByKills = folders.filter((f) => !keys.has(f)).length;
    const sweepDb = createDb(embedded.url);
    try {
      integrity.foldersSwept = (await sweepOrphans(sweepDb, ScanStore.forDataDir(dataDir), { graceMs: 0 })).removed;
    } finally {
      await sweepDb.$disconnect();
    }
    const remaining = existsSync(store)
      ? readdirSync(store).flatMap((fan) => readdirSync(path.join(store, fan)).map((f) => `${fan}/${f}`))
      : [];
    integrity.foldersWithoutRow = remaining.filter((f) => !keys.has(f)).length;
    integrity.bulkJobsNotEnded = (
      await rows<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status IN ('queued', 'running')`)
    )[0]!.n;
    integrity.storedScansWithoutAudit = (
      await rows<{ n: number }>(
        `SELECT count(*)::int AS n FROM scans s WHERE s.origin <> 'reference' AND NOT EXISTS
           (SELECT 1 FROM audit_events a WHERE a.action = 'scan.uploaded' AND a.target_id = s.id::text)`,
      )
    )[0]!.n;
    integrity.scans = scans.length;
  } finally {
    await client.end();
    await embedded.stop();
  }
  const integrityProblems =
    integrity.acknowledgedMissing! +
    integrity.acknowledgedNotExactlyOnce! +
    integrity.duplicateScans! +
    integrity.rowsWithoutFiles! +
    integrity.foldersWithoutRow! +
    integrity.bulkJobsNotEnded! +
    integrity.storedScansWithoutAudit!;

  // ---- 7. report -------------------------------------------------------------------------------------------------
  const routes = Object.fromEntries(
    ROUTES.map((r) => [
      r,
      {
        requests: latencies[r].length,
        errors: errors[r],
        p50Ms: Math.round(percentile(latencies[r], 50)),
        p95Ms: Math.round(percentile(latencies[r], 95)),
        p99Ms: Math.round(percentile(latencies[r], 99)),
        maxMs: Math.round(Math.max(0, ...latencies[r])),
      },
    ]),
  );
  const requests = ROUTES.reduce((n, r) => n + latencies[r].length, 0);
  const errorCount = ROUTES.reduce((n, r) => n + errors[r], 0);
  result = {
    benchmark: "soak",
    date: new Date().toISOString(),
    machine: machine(),
    loadAverage1m: {
      before: Number(loadBefore.toFixed(2)),
      duringLoad: Number(loadDuring.toFixed(2)),
      samples: loadSamples.map((l) => Number(l.toFixed(2))),
    },
    settings: { seconds, clients, uploaders, patients: patientCount, scansPerPatient, bulk: bulkCount, kill },
    loadSeconds: Number(loadSeconds.toFixed(1)),
    requestsPerSecond: Number((requests / loadSeconds).toFixed(1)),
    routes,
    requests,
    errors: errorCount,
    errorSamples,
    interruptedByKill: interrupted,
    serverStartMs: startMs,
    faults,
    integrity,
    integrityProblems,
  };
  console.table(
    Object.fromEntries(
      ROUTES.map((r) => [
        r,
        {
          requests: latencies[r].length,
          errors: errors[r],
          "p50 ms": routes[r]!.p50Ms,
          "p95 ms": routes[r]!.p95Ms,
          "p99 ms": routes[r]!.p99Ms,
        },
      ]),
    ),
  );
  console.table(integrity);
  log(`load average (1 min): ${loadBefore.toFixed(2)} before, ${loadDuring.toFixed(2)} during the load phase`);
  if (errorSamples.length) log(`first errors:\n  ${errorSamples.join("\n  ")}`);
  log(`integrity: ${integrityProblems === 0 ? "every check passed" : `${integrityProblems} problem(s)`}`);
  log(`wrote ${await writeResult(values.name!, result)}`);
  console.log(`${requests} requests, ${errorCount} errors`);
  process.exitCode = errorCount === 0 && integrityProblems === 0 ? 0 : 1;
} catch (error) {
  console.error(`[soak] ${(error as Error).stack ?? error}`);
  console.error(server.output.slice(-3000));
  process.exitCode = 1;
} finally {
  clearInterval(sampler);
  await browser.close().catch(() => {});
  await server.stop("SIGKILL");
  if (values.keep) log(`data directory kept: ${dataDir}`);
  else await rm(dataDir, { recursive: true, force: true });
}
