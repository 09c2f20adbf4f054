// The foundation's user journey in a real Chromium: sign-in failures, role enforcement on /admin, an admin creating a
// clinician, the clinician creating and finding a patient, and signing out.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";

const adminEmail = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.test";
const adminPassword = process.env.E2E_ADMIN_PASSWORD ?? "";
const clinician = { email: `clin-${Date.now()}@e2e.test`, name: "Casey Clinician", password: "clinician-pass-123" };
const patient = { mrn: `E2E-${Date.now()}`, name: "Robin Example" };

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

test.describe.configure({ mode: "serial" });

// The very first test: `npm start` has just begun importing the reference library and the demo patients in the
// background (about 30 s for the e2e corpus).
test("on a first start the patient list shows the library being prepared, with progress, and fills in by itself", async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/patients/);
  const preparing = page.locator(".preparing[role=status]");
  await expect(preparing).toContainText("preparing its reference library and demo patients");
  await expect(preparing).toContainText(
    /\d+ of \d+ (films of the reference library imported|demo patients' films added)/,
  );
  const file = testInfo.outputPath("first-start.png");
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach("first-start", { path: file, contentType: "image/png" });
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.filter((v) => v.impact === "serious" || v.impact === "critical")).toEqual([]);
  // No reload here: the page refreshes itself until the demo patients are all there.
  await expect(preparing).toHaveCount(0, { timeout: 280_000 });
  await expect(page.locator("table.table tbody tr").first()).toBeVisible();
  await page.goto("/admin/status");
  await expect(
    page.getByRole("definition").filter({ hasText: /^Done: the reference library and the demo patients are ready/ }),
  ).toBeVisible();
  await expect(page.locator("main")).not.toContainText("`");
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  expect(adminPassword, "E2E_ADMIN_PASSWORD must be set by playwright.config.ts").not.toBe("");
  await signIn(page, adminEmail, "not-the-password");
  await expect(page.locator(".form-error")).toHaveText("Wrong e-mail address or password.");
  await expect(page).toHaveURL(/\/login/);
});

test("pages need a session and the UI says it is decision support", async ({ page }) => {
  await page.goto("/patients");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByText("Radtrack is decision support, not a diagnosis.")).toBeVisible();
});

test("an admin creates a clinician", async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/patients/);
  await page.getByRole("link", { name: "Users" }).click();
  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("E-mail").fill(clinician.email);
  await form.getByLabel("Name").fill(clinician.name);
  await form.getByLabel("Role").selectOption("clinician");
  await form.getByLabel(/Initial password/).fill("short");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByText("The password needs at least 12 characters.")).toBeVisible();
  await form.getByLabel(/Initial password/).fill(clinician.password);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByRole("status")).toHaveText("User created.");
  await expect(page.getByRole("cell", { name: clinician.email, exact: true })).toBeVisible();
  await signOut(page);
});

test("a clinician is kept out of /admin, creates a patient, finds it, and signs out", async ({ page }) => {
  await signIn(page, clinician.email, clinician.password);
  await expect(page).toHaveURL(/\/patients/);
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);

  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/forbidden/);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await page.goto("/admin/audit");
  await expect(page).toHaveURL(/\/forbidden/);

  await page.goto("/patients/new");
  await page.getByLabel("MRN").fill(patient.mrn);
  await page.getByLabel("Name").fill(patient.name);
  await page.getByLabel("Sex").selectOption("female");
  await page.getByLabel("Birth year").fill("1958");
  await page.getByRole("button", { name: "Create patient" }).click();
  await expect(page.getByRole("heading", { name: patient.name })).toBeVisible();
  await expect(page.getByText(`MRN ${patient.mrn}`)).toBeVisible();

  // The same MRN again is refused next to the field, and nothing is created.
  await page.goto("/patients/new");
  await page.getByLabel("MRN").fill(patient.mrn);
  await page.getByLabel("Name").fill("Someone Else");
  await page.getByRole("button", { name: "Create patient" }).click();
  await expect(page.getByText(`MRN ${patient.mrn} is already registered.`, { exact: false })).toBeVisible();

  await page.goto("/patients");
  await page.getByRole("searchbox").fill(patient.mrn.toLowerCase());
  await page.getByRole("button", { name: "Search" }).click();
  const rows = page.locator("table tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(patient.name);
  await rows.first().getByRole("link", { name: patient.mrn }).click();
  await expect(page.getByRole("heading", { name: patient.name })).toBeVisible();

  await signOut(page);
  await page.goto("/patients");
  await expect(page).toHaveURL(/\/login/);
});

test("the admin sees the clinician's actions in the audit log", async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await expect(page).toHaveURL(/\/patients/);
  await page.goto(`/admin/audit?actor=${encodeURIComponent(clinician.email)}`);
  const actions = page.locator("table tbody tr td:nth-child(2)");
  await expect(actions.filter({ hasText: "auth.logout" })).toHaveCount(1);
  await expect(actions.filter({ hasText: "patient.created" })).toHaveCount(1);
  await expect(actions.filter({ hasText: "patient.viewed" }).first()).toBeVisible();
  await expect(actions.filter({ hasText: "auth.login.succeeded" })).toHaveCount(1);
  await page.goto(`/admin/audit?action=auth.login.failed`);
  await expect(page.locator("table tbody tr").first()).toContainText(adminEmail);
});
