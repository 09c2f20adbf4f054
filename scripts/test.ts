// `npm test`: every check the project has, one after the other, each one timed and counted, and one closing line
// `N passed, N failed[, N skipped]` that sums them all. The static checks count one test each; vitest and Playwright
// count their tests. A stage that fails goes on to the next, so the summary is complete; a stage that crashes or
// writes no report counts one failure. The exit status is non-zero when anything failed.
//
//   npm test                          # everything
//   npm test -- --only static         # typecheck, lint, format   (groups: static, unit, e2e; or stage names)
//   npm test -- --only unit,e2e
//   npm test -- --skip build          # e2e against the .next build that is already there
//
// Databases: with DATABASE_URL the tests use that PostgreSQL server (scripts/ci/pg-cluster.sh makes one); without it
// they use the embedded PGlite, with nothing to start.
// RADTRACK_TEST_SUMMARY=<file>: also write the counts there as JSON (.ci/run adds its own checks to them).
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { buildIsCurrent, recordBuild } from "../lib/runtime/build-stamp";
import { dropDatabase } from "./ci/e2e-db";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface StageResult extends Counts {
  name: string;
  seconds: number;
  note?: string;
}

interface Stage {
  name: string;
  group: "static" | "unit" | "e2e";
  title: string;
  run: () => Promise<Counts & { note?: string }>;
}

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const tmp = mkdtempSync(path.join(os.tmpdir(), "radtrack-test-"));
const baseEnv: NodeJS.ProcessEnv = {
  ...process.env,
  NEXT_TELEMETRY_DISABLED: "1",
  FORCE_COLOR: process.env.FORCE_COLOR,
};

/** Runs a command with inherited output; resolves with its exit code (127 when it could not start). */
function exec(command: string, args: string[], env: NodeJS.ProcessEnv = baseEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (error) => {
      console.error(`cannot run ${command}: ${error.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
  });
}

async function check(command: string, args: string[], env = baseEnv): Promise<Counts & { note?: string }> {
  const code = await exec(command, args, env);
  return code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0, note: `exit ${code}` };
}

function readJson(file: string): unknown {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: { status: string; name: string; assertionResults: { status: string }[] }[];
}

async function vitest(): Promise<Counts & { note?: string }> {
  const report = path.join(tmp, "vitest.json");
  const code = await exec(bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
  ]);
  const json = readJson(report) as VitestReport | undefined;
  if (!json) return { passed: 0, failed: 1, skipped: 0, note: `no report (exit ${code}; no test files?)` };
  // A file that fails to load fails no test of its own: count it once.
  const brokenFiles = json.testResults.filter(
    (file) => file.status === "failed" && !file.assertionResults.some((test) => test.status === "failed"),
  ).length;
  const counts = {
    passed: json.numPassedTests,
    failed: json.numFailedTests + brokenFiles,
    skipped: json.numPendingTests + json.numTodoTests,
  };
  if (code !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `exit ${code} with no failed test` };
  if (counts.passed + counts.failed === 0) return { ...counts, failed: 1, note: "ran no test" };
  return brokenFiles ? { ...counts, note: `${brokenFiles} file(s) failed to load` } : counts;
}

interface PlaywrightReport {
  stats: { expected: number; unexpected: number; flaky: number; skipped: number };
  errors: unknown[];
}

function freePort(from: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" && from < 65535) resolve(freePort(from + 1));
      else reject(error);
    });
    server.listen(from, "127.0.0.1", () => server.close(() => resolve(from)));
  });
}

async function playwright(): Promise<Counts & { note?: string }> {
  const report = path.join(tmp, "playwright.json");
  const dataDir = path.join(tmp, "e2e-data");
  const dbName = `radtrack_e2e_${process.pid}`;
  const port = process.env.E2E_PORT || String(await freePort(3100));
  const env = { ...baseEnv, E2E_JSON_REPORT: report, E2E_DATA_DIR: dataDir, E2E_DB_NAME: dbName, E2E_PORT: port };
  const code = await exec(bin("playwright"), ["test"], env);
  // The web server removes both when it stops gracefully; this is for a server that was killed.
  rmSync(dataDir, { recursive: true, force: true });
  if (process.env.DATABASE_URL) await dropDatabase(process.env.DATABASE_URL, dbName).catch(() => {});

  const json = readJson(report) as PlaywrightReport | undefined;
  if (!json) return { passed: 0, failed: 1, skipped: 0, note: `no report (exit ${code})` };
  const { expected, unexpected, flaky, skipped } = json.stats;
  const counts = { passed: expected + flaky, failed: unexpected, skipped };
  if (json.errors.length > 0 && counts.failed === 0) {
    return { ...counts, failed: 1, note: `${json.errors.length} error(s) outside tests (web server?)` };
  }
  if (code !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `exit ${code} with no failed test` };
  if (counts.passed + counts.failed === 0) return { ...counts, failed: 1, note: "ran no test" };
  return flaky ? { ...counts, note: `${flaky} flaky` } : counts;
}

async function build(): Promise<Counts & { note?: string }> {
  if (await buildIsCurrent(root)) return { passed: 1, failed: 0, skipped: 0, note: "build is current" };
  const result = await check(bin("next"), ["build"], { ...baseEnv, NODE_ENV: "production" });
  if (result.failed === 0) await recordBuild(root);
  return result;
}

const stages: Stage[] = [
  {
    name: "typecheck",
    group: "static",
    title: "next typegen && tsc --noEmit",
    // `next typegen` writes next-env.d.ts and the route types that tsc needs on a clean checkout, without a build.
    run: async () => {
      const typegen = await exec(bin("next"), ["typegen"]);
      if (typegen !== 0) return { passed: 0, failed: 1, skipped: 0, note: `next typegen exit ${typegen}` };
      return check(bin("tsc"), ["--noEmit"]);
    },
  },
  {
    name: "lint",
    group: "static",
    title: "eslint --max-warnings=0 .",
    run: () => check(bin("eslint"), ["--max-warnings=0", "."]),
  },
  { name: "format", group: "static", title: "prettier --check .", run: () => check(bin("prettier"), ["--check", "."]) },
  { name: "unit", group: "unit", title: "vitest run", run: vitest },
  // `npm start` (the e2e server) would build too; building here times the build on its own and shows its errors
  // plainly. The same stamp as `npm start` uses: a build of the current sources is not repeated.
  { name: "build", group: "e2e", title: "next build (when the sources changed)", run: build },
  { name: "e2e", group: "e2e", title: "playwright test", run: playwright },
];

function parseArgs(argv: string[]): { only: Set<string> | undefined; skip: Set<string> } {
  const names = new Set<string>(stages.flatMap((s) => [s.name, s.group]));
  const list = (value: string | undefined, flag: string) => {
    const items = (value ?? "").split(",").filter(Boolean);
    const bad = items.filter((item) => !names.has(item));
    if (items.length === 0 || bad.length > 0) {
      console.error(`${flag} takes a comma-separated list of: ${[...names].join(", ")}`);
      process.exit(2);
    }
    return items;
  };
  let only: Set<string> | undefined;
  const skip = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split("=", 2) as [string, string | undefined];
    if (flag === "--only") for (const item of list(inline ?? argv[++i], flag)) (only ??= new Set()).add(item);
    else if (flag === "--skip") for (const item of list(inline ?? argv[++i], flag)) skip.add(item);
    else if (flag === "--help" || flag === "-h") {
      console.log("usage: npm test -- [--only static|unit|e2e|<stage>[,...]] [--skip <group|stage>[,...]]");
      console.log(`stages: ${stages.map((s) => `${s.name} (${s.group})`).join(", ")}`);
      process.exit(0);
    } else {
      console.error(`unknown argument ${argv[i]}; try --help`);
      process.exit(2);
    }
  }
  return { only, skip };
}

function formatSeconds(seconds: number): string {
  return seconds < 60
    ? `${seconds.toFixed(1)}s`
    : `${Math.floor(seconds / 60)}m${(seconds % 60).toFixed(0).padStart(2, "0")}s`;
}

function countsLine({ passed, failed, skipped }: Counts): string {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
}

async function main(): Promise<number> {
  const { only, skip } = parseArgs(process.argv.slice(2));
  const selected = stages.filter(
    (s) => (!only || only.has(s.name) || only.has(s.group)) && !skip.has(s.name) && !skip.has(s.group),
  );
  const started = performance.now();
  console.log(
    `npm test: ${selected.map((s) => s.name).join(", ")}; database: ${process.env.DATABASE_URL ? "DATABASE_URL" : "embedded PGlite"}`,
  );
  const results: StageResult[] = [];
  for (const stage of selected) {
    console.log(`\n━━ ${stage.name}: ${stage.title}`);
    const t0 = performance.now();
    let outcome: Counts & { note?: string };
    if (stage.name === "e2e" && results.some((r) => r.name === "build" && r.failed > 0)) {
      outcome = { passed: 0, failed: 1, skipped: 0, note: "not run: the build failed" };
    } else {
      try {
        outcome = await stage.run();
      } catch (error) {
        outcome = { passed: 0, failed: 1, skipped: 0, note: `crashed: ${(error as Error).message}` };
      }
    }
    const result = { name: stage.name, seconds: (performance.now() - t0) / 1000, ...outcome };
    results.push(result);
    const verdict = result.failed > 0 ? "FAILED" : "ok";
    console.log(
      `━━ ${stage.name}: ${verdict}, ${countsLine(result)} in ${formatSeconds(result.seconds)}${result.note ? ` (${result.note})` : ""}`,
    );
  }

  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    total.passed += r.passed;
    total.failed += r.failed;
    total.skipped += r.skipped;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log("\nstage      result  passed  failed  skipped    time");
  for (const r of results) {
    console.log(
      `${r.name.padEnd(10)} ${(r.failed > 0 ? "FAIL" : "ok").padEnd(6)} ${String(r.passed).padStart(7)} ${String(r.failed).padStart(7)} ${String(r.skipped).padStart(8)} ${formatSeconds(r.seconds).padStart(7)}${r.note ? `  ${r.note}` : ""}`,
    );
  }
  console.log(`${"total".padEnd(10)} ${"".padEnd(6)} ${" ".repeat(33)}${formatSeconds(seconds).padStart(7)}`);

  const summaryFile = process.env.RADTRACK_TEST_SUMMARY;
  if (summaryFile) {
    writeFileSync(summaryFile, JSON.stringify({ ...total, seconds, stages: results }, null, 2));
    // .ci/run prints the closing line for everything it ran: this subtotal must not read as one.
    console.log(`npm test subtotal = ${countsLine(total)}`);
  } else {
    console.log(countsLine(total));
  }
  return total.failed > 0 || results.length === 0 ? 1 : 0;
}

main()
  .then((code) => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(code);
  })
  .catch((error: unknown) => {
    console.error(error);
    rmSync(tmp, { recursive: true, force: true });
    process.exit(1);
  });
