// `npm run web`: a web server for a deployment of several processes (docs/scaling.md): pages and the API only, no
// queue workers (those run in `npm run worker`). Like `npm start` it applies migrations, checks the model and creates
// the first admin from RADTRACK_ADMIN_*, and builds when the sources changed; unlike it, it needs a PostgreSQL shared
// by every process (DATABASE_URL) and the AUTH_SECRET every web server shares, so a session or a token issued by
// one server is valid on all. Scans go to RADTRACK_STORAGE (an S3 bucket when servers are on several machines).
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { buildIsCurrent, recordBuild } from "@/lib/runtime/build-stamp";
import { secureDataDir } from "@/lib/runtime/data-dir";
import { requestReembedding } from "@/lib/scans/reembed-queue";
import { stopJobQueue } from "@/lib/jobs/boss";
import { deploymentConfig, fail, log, prepareFirstAdmin, prepareSchema, verifyModel } from "./launch/prepare";

const require = createRequire(import.meta.url);
const started = Date.now();

const { cfg, databaseUrl } = deploymentConfig("web");
const authSecret = process.env.AUTH_SECRET;
if (!authSecret) {
  fail("npm run web needs AUTH_SECRET, the same on every web server (e.g. AUTH_SECRET=$(openssl rand -base64 32))");
}
await secureDataDir(cfg.dataDir);
try {
  await prepareSchema(cfg, databaseUrl);
  const { modelId, missing } = await verifyModel(databaseUrl);
  await prepareFirstAdmin(cfg, databaseUrl);
  // The workers do it; a request already waiting makes this one a no-op.
  if (missing > 0) await requestReembedding(modelId, databaseUrl);
} catch (error) {
  fail((error as Error).message);
} finally {
  await stopJobQueue();
}
log(
  cfg.storage.kind === "s3"
    ? "scans in the bucket of RADTRACK_STORAGE"
    : `scans in ${cfg.dataDir} (web servers on several machines need RADTRACK_STORAGE=s3://...)`,
);

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: databaseUrl,
  AUTH_SECRET: authSecret,
  RADTRACK_DATA_DIR: cfg.dataDir,
  PORT: String(cfg.port),
  NEXT_TELEMETRY_DISABLED: "1",
  NODE_ENV: "production",
  // instrumentation.ts: no bulk, drift or orphan-sweep worker in this process.
  RADTRACK_BULK_WORKER: "0",
};
if (!(await buildIsCurrent(process.cwd()))) {
  log("building the web app (changed sources; a few minutes on 2 cores)...");
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [require.resolve("next/dist/bin/next"), "build"], { stdio: "inherit", env });
    child.on("exit", (c) => resolve(c ?? 1));
  });
  if (code !== 0) fail("The build failed; see the output above.");
  await recordBuild(process.cwd());
}

const server = spawn(process.execPath, ["--import", require.resolve("tsx"), "scripts/serve.ts"], {
  stdio: ["inherit", "inherit", "inherit", "ipc"],
  env,
});
server.on("message", (message: { ready?: boolean }) => {
  if (message.ready) log(`web server started in ${((Date.now() - started) / 1000).toFixed(1)} s (no workers)`);
});
server.on("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.kill("SIGTERM"));
