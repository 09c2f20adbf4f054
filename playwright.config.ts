// End-to-end tests: the production server (`npm start`) on a fresh data directory, driven by the system Chromium.
// `npm test` runs them (scripts/test.ts); alone: `npx playwright test`. With DATABASE_URL set the server runs on a
// database made for this run on that server (radtrack_e2e_<pid>); without it, on the embedded PGlite.
// Specs read the admin login from E2E_ADMIN_EMAIL / E2E_ADMIN_PASSWORD.
import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

// This file is loaded by the runner and again by each worker: values are fixed once, in the runner, through the
// environment that the workers inherit.
const env = process.env;
env.E2E_PORT ||= "3100";
env.E2E_ADMIN_EMAIL ||= "admin@e2e.test";
env.E2E_ADMIN_PASSWORD ||= "e2e-Admin-passw0rd-4-tests";
env.E2E_DATA_DIR ||= path.join(os.tmpdir(), `radtrack-e2e-${process.pid}`);
env.E2E_DB_NAME ||= `radtrack_e2e_${process.pid}`;
env.E2E_BASE_URL = `http://127.0.0.1:${env.E2E_PORT}`;
env.NEXT_TELEMETRY_DISABLED = "1";

export default defineConfig({
  testDir: "tests/e2e",
  testMatch: "**/*.spec.ts",
  outputDir: "test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: env.E2E_JSON_REPORT || "playwright-report/results.json" }]],
  use: {
    baseURL: env.E2E_BASE_URL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    navigationTimeout: 30_000,
    actionTimeout: 15_000,
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: env.CHROMIUM_PATH ?? "/usr/bin/chromium",
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
          ],
        },
      },
    },
  ],
  webServer: {
    command: "node_modules/.bin/tsx scripts/ci/e2e-server.ts",
    url: `${env.E2E_BASE_URL}/login`,
    env: {
      PORT: env.E2E_PORT,
      RADTRACK_ADMIN_EMAIL: env.E2E_ADMIN_EMAIL,
      RADTRACK_ADMIN_PASSWORD: env.E2E_ADMIN_PASSWORD,
    },
    // The first start may run `next build` (1-3 minutes on two cores) and the migrations.
    timeout: 600_000,
    reuseExistingServer: false,
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
    stdout: "pipe",
    stderr: "pipe",
  },
});
