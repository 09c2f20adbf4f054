// Headers and status codes (issue #11, item 7) in a real Chromium against the production server: a nonce-based
// Content-Security-Policy that Next's scripts satisfy (no 'unsafe-inline' for scripts, no violation while signing in
// and uploading), a Permissions-Policy, 403 for a server action from another site, and 413 with the 50 MB message for
// an upload over the limit through the web UI.
import { createReadStream } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";

const adminEmail = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.test";
const adminPassword = process.env.E2E_ADMIN_PASSWORD ?? "";

function watchCsp(page: Page): string[] {
  const violations: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) violations.push(msg.text());
  });
  return violations;
}

const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)?.[1];

test.describe.configure({ mode: "serial" });

test("pages carry a fresh nonce-based CSP that Next's scripts satisfy, and a Permissions-Policy", async ({
  page,
  request,
}) => {
  const first = await request.get("/login");
  const second = await request.get("/login");
  const csp = first.headers()["content-security-policy"] ?? "";
  const scriptSrc = csp.split(";").find((d) => d.trim().startsWith("script-src")) ?? "";
  expect(scriptSrc).toMatch(/'nonce-[A-Za-z0-9+/=]{16,}'/);
  expect(scriptSrc).not.toContain("unsafe-inline");
  expect(scriptSrc).not.toContain("unsafe-eval");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("object-src 'none'");
  const nonce = nonceOf(csp)!;
  expect(nonceOf(second.headers()["content-security-policy"] ?? "")).not.toBe(nonce);
  // Every script Next writes into the page carries this response's nonce.
  const html = await first.text();
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  expect(first.headers()["permissions-policy"]).toMatch(/camera=\(\).*microphone=\(\).*geolocation=\(\)/);

  // The page works under the policy: signing in needs the client scripts.
  const violations = watchCsp(page);
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(adminEmail);
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/patients/);
  await page.goto("/patients/new");
  await expect(page.getByRole("button", { name: "Create patient" })).toBeVisible();
  expect(violations).toEqual([]);
});

test("a server action posted from another site is answered 403, not 500", async ({ request }) => {
  const response = await request.post("/patients/new", {
    headers: { "next-action": "0".repeat(40), origin: "https://evil.example", "content-type": "text/plain" },
    data: "[]",
  });
  expect(response.status()).toBe(403);
  expect(await response.text()).toMatch(/sent from another site/);
});

test("an upload over the 50 MB limit through the web UI is answered 413 with the limit, not 500", async ({
  page,
  request,
}) => {
  const violations = watchCsp(page);
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(adminEmail);
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/patients/);
  const mrn = `BIG-${Date.now()}`;
  await page.goto("/patients/new");
  await page.getByLabel("MRN").fill(mrn);
  await page.getByLabel("Name").fill("Big File");
  await page.getByLabel("Sex").selectOption("female");
  await page.getByRole("button", { name: "Create patient" }).click();
  await expect(page.getByRole("heading", { name: "Big File" })).toBeVisible();
  const patientUrl = page.url();

  // 63 MB (from a file: Playwright passes no buffer over 50 MB): the browser is told the limit and sends nothing.
  const big = Buffer.alloc(63 * 1024 * 1024, 0xff);
  big.set([0xff, 0xd8, 0xff, 0xe0]);
  const bigFile = path.join(test.info().outputDir, "big.jpg");
  await mkdir(test.info().outputDir, { recursive: true });
  await writeFile(bigFile, big);
  const upload = page.getByRole("form", { name: "Upload a scan" });
  await upload.locator('input[type="file"]').setInputFiles(bigFile);
  await upload.getByRole("button", { name: "Upload scan" }).click();
  await expect(upload.getByRole("alert")).toContainText("larger than the limit of 50 MB");

  // The same upload posted as the form's server action (another client, or a browser without the check): 413.
  const cookies = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  const response = await request.post(patientUrl, {
    headers: { "next-action": "0".repeat(40), cookie: cookies, origin: new URL(patientUrl).origin },
    multipart: { file: createReadStream(bigFile) },
  });
  expect(response.status()).toBe(413);
  expect(await response.text()).toContain("larger than the limit of 50 MB per scan");
  expect(violations).toEqual([]);
  await rm(bigFile, { force: true });
});
