// Playwright's webServer: runs `npm start` on a fresh data directory and, when DATABASE_URL names a server, on a fresh
// database of that server made for this run alone, so end-to-end tests never touch other data. Both go away when the
// server stops (Playwright sends SIGTERM to the process group; scripts/test.ts cleans up again after a hard kill).
//
// Environment (playwright.config.ts sets all of these): E2E_DATA_DIR, E2E_DB_NAME, PORT, RADTRACK_ADMIN_EMAIL,
// RADTRACK_ADMIN_PASSWORD; DATABASE_URL optional.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { makeCorpusSubset } from "@/tests/support/reference/corpus-subset";
import { e2eCorpus } from "@/tests/support/e2e-corpus";
import { createDatabase, dropDatabase } from "./e2e-db";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through playwright.config.ts`);
  return value;
}

async function main(): Promise<void> {
  const dataDir = required("E2E_DATA_DIR");
  const serverUrl = process.env.DATABASE_URL || undefined;
  const dbName = serverUrl ? required("E2E_DB_NAME") : undefined;
  rmSync(dataDir, { recursive: true, force: true });

  const env: NodeJS.ProcessEnv = { ...process.env, RADTRACK_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: "1" };
  // A small reference library that imports in seconds; the embedded default seeds it in the background.
  const { table, subset } = await e2eCorpus();
  const corpus = await makeCorpusSubset(table, { ids: subset });
  env.RADTRACK_CORPUS_DIR = corpus.dir;
  env.RADTRACK_DEMO_DATA = "1";
  console.log(`e2e: reference corpus subset of ${subset.length} films in ${corpus.dir}`);
  if (serverUrl && dbName) {
    env.DATABASE_URL = await createDatabase(serverUrl, dbName);
    console.log(`e2e: database ${dbName} created on ${new URL(serverUrl).host}`);
  } else {
    delete env.DATABASE_URL;
    console.log(`e2e: embedded PGlite in ${dataDir}`);
  }

  const child = spawn("npm", ["start"], { stdio: "inherit", env });
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      stopping = true;
      child.kill(signal);
    });
  }
  const code = await new Promise<number>((resolve) => {
    child.on("exit", (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
    child.on("error", (error) => {
      console.error(`e2e: cannot start npm: ${error.message}`);
      resolve(1);
    });
  });
  try {
    if (serverUrl && dbName) await dropDatabase(serverUrl, dbName);
  } catch (error) {
    console.error(`e2e: could not drop ${dbName}: ${(error as Error).message}`);
  }
  rmSync(dataDir, { recursive: true, force: true });
  await corpus.remove();
  process.exit(stopping ? 0 : code);
}

main().catch((error: unknown) => {
  console.error(`e2e: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
