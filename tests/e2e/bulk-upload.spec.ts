// Bulk upload in a real Chromium: an admin uploads 50 corpus X-rays in a zip with a manifest, confirms the three new
// patients, watches the progress bar reach 100%, reads the per-file report and finds the scans on a patient's page;
// the same zip again adds nothing; a zip bomb and a path-traversal zip are refused with their reasons.
// The zips are built at test time from the read-only corpus, in a temporary folder.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { buildZip } from "@/lib/bulk/zip-writer";

const adminEmail = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.test";
const adminPassword = process.env.E2E_ADMIN_PASSWORD ?? "";
const corpus = path.resolve(process.env.RADTRACK_SHARED_DIR ?? "../shared", "data", "cxr");
const stamp = Date.now().toString(36).toUpperCase();
const MRNS = [`BULK-${stamp}-1`, `BULK-${stamp}-2`, `BULK-${stamp}-3`];
const COUNT = 50;

let dir: string;
let zipPath: string;
let manifestPath: string;
let bombPath: string;
let traversalPath: string;
/** Files per MRN in the manifest. */
const perMrn = new Map<string, number>();

test.describe.configure({ mode: "serial" });

test.beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "radtrack-bulk-e2e-"));
  // Adult films from three sources, in a fixed order: the same 50 on every run.
  const ids = readdirSync(corpus)
    .filter((f) => /^(coh|nih|mhh)\d+\.jpg$/.test(f))
    .sort()
    .filter((_, i) => i % 7 === 0)
    .slice(0, COUNT);
  expect(ids).toHaveLength(COUNT);
  const lines = ["mrn,acquired_at,file,view"];
  const entries = ids.map((file, i) => {
    const mrn = MRNS[i % MRNS.length]!;
    perMrn.set(mrn, (perMrn.get(mrn) ?? 0) + 1);
    const day = new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    lines.push(`${mrn},${day},xrays/${file},${i % 2 ? "AP" : "PA"}`);
    return { name: `xrays/${file}`, data: readFileSync(path.join(corpus, file)), method: 0 as const };
  });
  zipPath = path.join(dir, "ward-7.zip");
  writeFileSync(zipPath, buildZip(entries));
  manifestPath = path.join(dir, "manifest.csv");
  writeFileSync(manifestPath, lines.join("\n") + "\n");
  // 1 kB of zeros that claims to unpack to 3 GB.
  bombPath = path.join(dir, "bomb.zip");
  writeFileSync(bombPath, buildZip([{ name: "big.dcm", data: Buffer.alloc(1024), declaredSize: 3_000_000_000 }]));
  traversalPath = path.join(dir, "traversal.zip");
  writeFileSync(
    traversalPath,
    buildZip([
      { name: "ok.jpg", data: entries[0]!.data },
      { name: "../../evil.jpg", data: entries[1]!.data },
    ]),
  );
});

test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function signIn(page: Page) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(adminEmail);
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/patients/);
}

async function uploadAndCheck(page: Page, zip: string, manifest?: string) {
  await page.goto("/admin/bulk");
  const form = page.getByRole("form", { name: "Bulk upload" });
  await form.getByLabel("Zip file or images").setInputFiles(zip);
  if (manifest) await form.getByLabel("Manifest (CSV, optional)").setInputFiles(manifest);
  await form.getByRole("button", { name: "Upload and check" }).click();
  await expect(page).toHaveURL(/\/admin\/bulk\/[0-9a-f-]{36}$/, { timeout: 60_000 });
  return page.url().split("/").pop()!;
}

async function reportOf(page: Page, jobId: string) {
  const response = await page.request.get(`/api/bulk/${jobId}/report`);
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/csv");
  return (await response.text()).trim().split("\r\n");
}

test("an admin bulk-uploads 50 scans with a manifest, confirming the new patients", async ({ page }) => {
  test.setTimeout(300_000);
  await signIn(page);
  await page.getByRole("link", { name: "Bulk upload" }).click();
  await expect(page.getByRole("heading", { name: "Bulk upload", level: 1 })).toBeVisible();

  const jobId = await uploadAndCheck(page, zipPath, manifestPath);
  await expect(page.getByRole("heading", { name: "Checked: ready to start" })).toBeVisible();
  const start = page.getByRole("form", { name: "Start the bulk upload" });
  await expect(start.getByText("3 MRNs are not registered")).toBeVisible();
  for (const mrn of MRNS) await expect(start.getByText(mrn)).toBeVisible();
  // Nothing is processed before the admin confirms: unticked, the button would leave these files out.
  await expect(start.getByRole("button", { name: "Start: process 0 files" })).toBeDisabled();
  await start.getByLabel("Create these 3 patients").check();
  await start.getByRole("button", { name: `Start: process ${COUNT} files` }).click();

  await expect(page.getByTestId("progress-percent")).toHaveText("100%", { timeout: 240_000 });
  await expect(page.getByTestId("job-status")).toHaveText("succeeded", { timeout: 30_000 });
  await expect(page.getByRole("status").filter({ hasText: "processed" })).toContainText(
    `${COUNT} / ${COUNT} processed`,
  );
  await expect(page.getByRole("status").filter({ hasText: "processed" })).toContainText("0 failed");
  const table = page.getByRole("table", { name: "Files of this upload" });
  await expect(table.locator("tbody tr")).toHaveCount(COUNT);
  await expect(table.locator("tbody tr", { hasText: "stored" })).toHaveCount(COUNT);

  const report = await reportOf(page, jobId);
  expect(report[0]).toBe("file,mrn,acquired_at,status,scan_id,reason");
  expect(report).toHaveLength(COUNT + 1);
  expect(report.slice(1).every((line) => /,stored,[0-9a-f-]{36},$/.test(line))).toBe(true);
  await expect(page.getByRole("link", { name: "Download the report (CSV)" })).toHaveAttribute(
    "href",
    `/api/bulk/${jobId}/report`,
  );

  // The first patient's page shows its scans.
  await table.getByRole("link", { name: MRNS[0]!, exact: true }).first().click();
  // A patient created by the confirmation step: no name was given, so it says so.
  await expect(page.getByRole("heading", { name: `Unnamed (MRN ${MRNS[0]})` })).toBeVisible();
  await expect(page.locator("ol.scan-strip > li")).toHaveCount(perMrn.get(MRNS[0]!)!);
});

test("the same zip a second time adds nothing", async ({ page }) => {
  test.setTimeout(300_000);
  await signIn(page);
  const jobId = await uploadAndCheck(page, zipPath, manifestPath);
  const start = page.getByRole("form", { name: "Start the bulk upload" });
  // The patients exist now: nothing to confirm.
  await expect(start.getByText("not registered")).toHaveCount(0);
  await start.getByRole("button", { name: `Start: process ${COUNT} files` }).click();
  await expect(page.getByTestId("progress-percent")).toHaveText("100%", { timeout: 240_000 });
  await expect(page.getByTestId("job-status")).toHaveText("succeeded", { timeout: 30_000 });
  await expect(page.getByRole("status").filter({ hasText: "processed" })).toContainText(
    `0 stored, ${COUNT} already there`,
  );
  const report = await reportOf(page, jobId);
  expect(report.slice(1).filter((line) => line.includes(",already stored,"))).toHaveLength(COUNT);

  await page.goto("/patients");
  await page.getByRole("searchbox").fill(MRNS[1]!);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: MRNS[1]!, exact: true }).click();
  await expect(page.locator("ol.scan-strip > li")).toHaveCount(perMrn.get(MRNS[1]!)!);
});

test("a zip bomb is refused with its reason, before anything is stored", async ({ page }) => {
  await signIn(page);
  await uploadAndCheck(page, bombPath);
  const alert = page.getByRole("alert").filter({ hasText: "The upload was refused" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('"big.dcm" declares');
  await expect(alert).toContainText("this looks like a zip bomb");
  await expect(alert).toContainText("Nothing was stored.");
  await expect(page.getByTestId("job-status")).toHaveText("failed");
});

test("a zip with a path-traversal entry is refused with its reason", async ({ page }) => {
  await signIn(page);
  await uploadAndCheck(page, traversalPath);
  const alert = page.getByRole("alert").filter({ hasText: "The upload was refused" });
  await expect(alert).toContainText('Entry "../../evil.jpg" climbs out of the archive folder with ".."');
  await expect(page.getByRole("table", { name: "Files of this upload" })).toHaveCount(0);
});
