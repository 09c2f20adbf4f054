// Timeline page speed in a real browser: a patient with 50 scans (real corpus films, 36 neighbours each from a
// reference library), loaded 20 times in Chromium. Reports first contentful paint and "interactive" (the chart drawn
// and the page hydrated: the canvas exists and a scan link responds) as p50/p95. Writes bench/results/timeline.json.
// Then, unless --bulk 0, bulk throughput through the queue for --bulk scans against the embed-only rate: it runs
// scripts/bench-bulk.ts (also `npm run bench:bulk`), which writes bench/results/bulk.json.
//
//   npm run bench:timeline -- [--scans 50] [--loads 20] [--bulk 500]
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import { createDb } from "@/lib/db/client";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { ingestScan } from "@/lib/scans/ingest";
import { ensureFirstAdmin } from "@/lib/users/bootstrap";
import { e2eCorpus } from "@/tests/support/e2e-corpus";
import { machine, writeResult } from "./bench-results";

const { values } = parseArgs({
  options: {
    scans: { type: "string", default: "50" },
    loads: { type: "string", default: "20" },
    bulk: { type: "string", default: "500" },
  },
});
const scanCount = Number(values.scans);
const loads = Number(values.loads);
const email = "bench@radtrack.test";
const password = "bench-password-123";

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-bench-timeline-"));
process.env.RADTRACK_DATA_DIR = dataDir;

// 1. Prepare the data with the app's own code, then hand the data directory to `npm start`.
const { table, subset, timeline } = await e2eCorpus();
const embedded = await startEmbeddedDatabase({ dataDir });
let patientId: string;
try {
  await migrate(embedded.url);
  const db = createDb(embedded.url);
  await ensureFirstAdmin(db, { email, password });
  const corpus = await makeCorpusSubset(table, { ids: subset });
  await importReferenceLibrary(db, corpus.dir);
  await corpus.remove();
  const patient = await db.patient.create({ data: { mrn: "BENCH-TL", name: "Bench Timeline", sex: "unknown" } });
  patientId = patient.id;
  const taken = new Set([...subset, ...timeline.films.map((f) => f.id)]);
  const films = [...table.rows.keys()]
    .filter((id) => !taken.has(id))
    .sort()
    .slice(0, scanCount);
  for (const [i, id] of films.entries()) {
    const bytes = await readFile(path.join(realCorpusDir(), `${id}.jpg`));
    const acquiredAt = new Date(Date.UTC(2025, 0, 1) + i * 7 * 86_400_000);
    await ingestScan(db, { patientId, bytes, origin: "upload", acquiredAt }, { actor: null, ip: null });
  }
  await db.$disconnect();
} finally {
  await embedded.stop();
}

// 2. Serve it and load the timeline in Chromium.
const port = await freePort();
const server = spawn("npm", ["start"], {
  env: { ...process.env, RADTRACK_DATA_DIR: dataDir, PORT: String(port), RADTRACK_DEMO_DATA: "0", DATABASE_URL: "" },
  stdio: ["ignore", "pipe", "inherit"],
  detached: true,
});
await new Promise<void>((resolve, reject) => {
  server.stdout.on("data", (chunk: Buffer) => {
    if (chunk.toString().includes("Radtrack is ready")) resolve();
  });
  server.on("exit", (code) => reject(new Error(`npm start exited with ${code}`)));
});
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
const fcp: number[] = [];
const interactive: number[] = [];
try {
  const page = await browser.newPage();
  const base = `http://127.0.0.1:${port}`;
  await page.goto(`${base}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/patients/);
  // One unmeasured load: first assessments are computed and stored then, as after any new scan.
  await page.goto(`${base}/patients/${patientId}`);
  await page.waitForSelector(".chart-box canvas");
  for (let i = 0; i < loads; i++) {
    await page.goto(`${base}/patients/${patientId}`, { waitUntil: "commit" });
    await page.waitForSelector(".chart-box canvas");
    await page.waitForFunction(() => document.readyState === "complete");
    const t = await page.evaluate(() => ({
      fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
      now: performance.now(),
    }));
    fcp.push(t.fcp);
    interactive.push(t.now);
  }
} finally {
  await browser.close();
  try {
    process.kill(-server.pid!, "SIGTERM");
  } catch {
    // already gone
  }
  await new Promise((r) => setTimeout(r, 3000));
  await rm(dataDir, { recursive: true, force: true });
}

const out = {
  benchmark: "timeline",
  date: new Date().toISOString(),
  machine: machine(),
  scans: scanCount,
  loads,
  firstContentfulPaintMs: { p50: Math.round(percentile(fcp, 50)), p95: Math.round(percentile(fcp, 95)) },
  interactiveMs: { p50: Math.round(percentile(interactive, 50)), p95: Math.round(percentile(interactive, 95)) },
  note: "interactive = chart canvas drawn and document complete (hydrated), from navigation start",
};
console.table([
  { measure: "first contentful paint (ms)", p50: out.firstContentfulPaintMs.p50, p95: out.firstContentfulPaintMs.p95 },
  { measure: "interactive (ms)", p50: out.interactiveMs.p50, p95: out.interactiveMs.p95 },
]);
console.log(`wrote ${await writeResult("timeline", out)}`);
if (values.bulk !== "0") {
  // Same runtime (tsx's loader flags are in execArgv), its own process: a clean embedding session and database.
  const bulk = spawnSync(process.execPath, [...process.execArgv, "scripts/bench-bulk.ts", "--n", values.bulk!], {
    stdio: "inherit",
  });
  process.exit(bulk.status ?? 1);
}
process.exit(0);
