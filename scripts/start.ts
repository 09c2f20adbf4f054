// `npm start`: everything a fresh clone needs to serve Radtrack. Starts the embedded database when DATABASE_URL is
// absent, applies migrations, creates the first admin, builds when the sources changed, then runs the web server as
// a child process (the embedded database lives in this process and must keep its event loop free).
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { loadConfig, type RadtrackConfig } from "@/lib/config";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "@/lib/db/embedded";
import { buildIsCurrent, recordBuild } from "@/lib/runtime/build-stamp";
import { secureDataDir } from "@/lib/runtime/data-dir";
import { ensureAuthSecret } from "@/lib/runtime/secrets";
import { log, prepareFirstAdmin, prepareSchema, verifyModel } from "./launch/prepare";

const require = createRequire(import.meta.url);
let inheritedProvider: Record<string, string> = {};
const root = process.cwd();
const dev = process.argv.includes("--dev");
const started = Date.now();

function fail(message: string): never {
  console.error(`[radtrack] ${message}`);
  process.exit(1);
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: "inherit", env });
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

let cfg: RadtrackConfig;
try {
  cfg = loadConfig();
} catch (error) {
  fail(`Configuration error: ${(error as Error).message}`);
}
// Also with DATABASE_URL: stored scans and the auth secret live here, and the web server inherits the umask.
await secureDataDir(cfg.dataDir);
const authSecret = await ensureAuthSecret(cfg.dataDir);

let embedded: EmbeddedDatabase | undefined;
let databaseUrl = cfg.databaseUrl;
if (!databaseUrl) {
  try {
    embedded = await startEmbeddedDatabase({ dataDir: cfg.dataDir });
  } catch (error) {
    fail((error as Error).message);
  }
  databaseUrl = embedded.url;
  log(`embedded database (PGlite + pgvector) in ${cfg.dataDir}/pglite`);
} else {
  log("using the database in DATABASE_URL");
}

try {
  await prepareSchema(cfg, databaseUrl);
  await verifyModel(databaseUrl);
  // verifyModel opened the embedding engine here: a provider fallback was found and printed once, and the server and
  // the background work start on that provider directly (lib/embedding/providers.ts, inheritedChoice).
  const [{ embeddingStatus }, { inheritedChoiceEnv }] = await Promise.all([
    import("@/lib/embedding"),
    import("@/lib/embedding/providers"),
  ]);
  const status = await embeddingStatus();
  if (status.state === "ready" && status.fallbackReason && status.provider !== status.requestedProvider) {
    inheritedProvider = inheritedChoiceEnv({
      requested: status.requestedProvider,
      provider: status.provider,
      fallbackReason: status.fallbackReason,
    });
  }
  await prepareFirstAdmin(cfg, databaseUrl);
} catch (error) {
  await embedded?.stop();
  fail((error as Error).message);
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  AUTH_SECRET: authSecret,
  RADTRACK_DATA_DIR: cfg.dataDir,
  PORT: String(cfg.port),
  NEXT_TELEMETRY_DISABLED: "1",
  ...inheritedProvider,
};
const nextBin = require.resolve("next/dist/bin/next");

if (!dev && !(await buildIsCurrent(root))) {
  log("building the web app (first start or changed sources; a few minutes on 2 cores)...");
  const code = await run([nextBin, "build"], { ...env, NODE_ENV: "production" });
  if (code !== 0) {
    await embedded?.stop();
    fail("The build failed; see the output above.");
  }
  await recordBuild(root);
}

const tsxLoader = require.resolve("tsx");
let background: ChildProcess | undefined;
const server: ChildProcess = spawn(
  process.execPath,
  ["--import", tsxLoader, "scripts/serve.ts", ...(dev ? ["--dev"] : [])],
  { stdio: ["inherit", "inherit", "inherit", "ipc"], env: { ...env, NODE_ENV: dev ? "development" : "production" } },
);
server.on("message", (message: { ready?: boolean }) => {
  if (!message.ready) return;
  log(`started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  // The embedded default is a zero-setup demo: it seeds the reference corpus and demo patients unless told not to.
  const demo = process.env.RADTRACK_DEMO_DATA ?? (embedded ? "1" : "0");
  background = spawn(process.execPath, ["--import", tsxLoader, "scripts/background-work.ts"], {
    stdio: "inherit",
    env: { ...env, RADTRACK_DEMO_DATA: demo, NODE_ENV: "production" },
  });
});

/** Resolves when the child has exited, or after `ms` (a child that hangs must not keep the launcher alive). */
function exited(child: ChildProcess | undefined, ms: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  background?.kill("SIGTERM");
  server.kill("SIGTERM");
  // The database goes last, once the server and the background work have closed their connections to it.
  await Promise.all([exited(background, 12_000), exited(server, 12_000)]);
  await embedded?.stop().catch(() => {});
  process.exit(code);
}
server.on("exit", (code) => void shutdown(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void shutdown(0));
