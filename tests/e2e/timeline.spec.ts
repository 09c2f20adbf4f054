// The clinician's main screen: three films of a real corpus patient uploaded out of order come back as a timeline in
// date order, each in the band its index says, with 36 labelled neighbours and the current/previous comparison.
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { realCorpusDir } from "@/lib/reference/test-support/corpus-subset";
import { e2eCorpus, type TimelinePatient } from "@/tests/support/e2e-corpus";

const adminEmail = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.test";
const adminPassword = process.env.E2E_ADMIN_PASSWORD ?? "";
const clinician = { email: `timeline-${Date.now()}@e2e.test`, password: "timeline-pass-123" };
const mrn = `TL-${Date.now()}`;

async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/patients/);
}

async function seriousViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

test.describe.configure({ mode: "serial" });

let patient: TimelinePatient;

test.beforeAll(async () => {
  patient = (await e2eCorpus()).timeline;
});

test("the login page has no serious accessibility violations", async ({ page }) => {
  await page.goto("/login");
  expect(await seriousViolations(page)).toEqual([]);
});

test("the reference library is seeded in the background and an admin adds a clinician", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, adminEmail, adminPassword);
  // npm start imports the corpus subset after the server is up: wait for at least 36 references.
  await expect(async () => {
    await page.goto("/admin/status");
    const counts = await page.locator("#library-heading + dl dd").allInnerTexts();
    const total = counts.slice(0, 3).reduce((sum, text) => sum + Number(text), 0);
    expect(total).toBeGreaterThanOrEqual(36);
  }).toPass({ timeout: 200_000, intervals: [2_000] });
  await page.goto("/admin/users");
  const form = page.getByRole("form", { name: "Create a user" });
  await form.getByLabel("E-mail").fill(clinician.email);
  await form.getByLabel("Name").fill("Tim Eline");
  await form.getByLabel(/Initial password/).fill(clinician.password);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByRole("status")).toHaveText("User created.");
});

test("a clinician uploads three dated films and reads the timeline", async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await signIn(page, clinician.email, clinician.password);
  expect(await seriousViolations(page)).toEqual([]);

  await page.goto("/patients/new");
  await page.getByLabel("MRN").fill(mrn);
  await page.getByLabel("Name").fill("Timeline Patient");
  await page.getByRole("button", { name: "Create patient" }).click();
  await expect(page.getByRole("heading", { name: "Timeline Patient" })).toBeVisible();

  // Newest first: the timeline must still come out in date order.
  const upload = page.getByRole("form", { name: "Upload a scan" });
  const rows = page.locator(".timeline-table tbody tr");
  for (const [i, film] of [...patient.films].reverse().entries()) {
    await upload.locator('input[type="file"]').setInputFiles(path.join(realCorpusDir(), `${film.id}.jpg`));
    await upload.getByLabel(/Acquisition date/).fill(film.date);
    await upload.getByRole("button", { name: "Upload scan" }).click();
    // The chart and table update in place (no full reload) once the scan is stored.
    await expect(rows).toHaveCount(i + 1, { timeout: 60_000 });
  }
  await expect(upload.getByRole("status")).toContainText("Scan uploaded.");
  const dates = await rows.locator("th").allInnerTexts();
  expect(dates).toEqual(patient.films.map((f) => f.date));
  for (let i = 0; i < 3; i++) {
    // Extent (0-8) with its interval, region by the corpus rule (severe at 5), the neighbours' mix and index.
    const cells = await rows.nth(i).locator("td").allInnerTexts();
    const extent = Number(cells[0]);
    expect(extent).toBeGreaterThanOrEqual(0);
    expect(extent).toBeLessThanOrEqual(8);
    const [lo, hi] = cells[1]!.split("–").map(Number);
    expect(lo).toBeLessThanOrEqual(extent + 0.05);
    expect(hi).toBeGreaterThanOrEqual(extent - 0.05);
    // The table shows one decimal; the region comes from the unrounded value, so a value shown at a boundary may
    // sit on either side of it.
    const bands = [extent - 0.05, extent + 0.05].map((v) => (v >= 5 ? "severe" : v >= 1 ? "infected" : "healthy"));
    expect(bands).toContain(cells[2]);
    expect(Number(cells[3]) + Number(cells[4]) + Number(cells[5])).toBe(36);
    const index = Number(cells[6]);
    expect(index).toBeGreaterThanOrEqual(0);
    expect(index).toBeLessThanOrEqual(1);
  }
  await expect(page.locator(".chart-box canvas")).toBeVisible();

  // The page shows the film just uploaded (the oldest here); select the latest: 36 labelled neighbours and the
  // comparison with the previous film.
  await rows.last().locator("th a").click();
  await expect(page).toHaveURL(/scan=/);
  const neighbours = page.locator("li.neighbour");
  await expect(neighbours).toHaveCount(36);
  for (const label of await neighbours.locator("span[class^='class-']").allInnerTexts()) {
    expect(["Healthy", "Infected", "Severe"]).toContain(label);
  }
  await expect(neighbours.first().locator("img")).toHaveJSProperty("complete", true);
  await expect(page.locator(".compare-pane figcaption")).toHaveText([
    `Current · ${patient.films[2]!.date}`,
    `Previous · ${patient.films[1]!.date}`,
  ]);
  await page.screenshot({ path: testInfo.outputPath("timeline.png"), fullPage: true });
  expect(await seriousViolations(page)).toEqual([]);

  // Clicking the first row selects the oldest film, which has no previous one.
  await rows.first().locator("th a").click();
  await expect(page.locator(".compare-pane figcaption")).toHaveText([`Current · ${patient.films[0]!.date}`]);
  await page.keyboard.press("ArrowRight");
  await expect(page.locator(".compare-pane figcaption").first()).toHaveText(`Current · ${patient.films[1]!.date}`);

  const csv = await page.request.get(page.url().replace(/\/patients\/([^/?]+).*/, "/api/patients/$1/timeline.csv"));
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trim().split(/\r\n/);
  expect(lines).toHaveLength(4);
  expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(patient.films.map((f) => f.date));

  await page.goto(`/patients?q=${mrn}`);
  expect(await seriousViolations(page)).toEqual([]);
  await page.screenshot({ path: testInfo.outputPath("patient-list.png"), fullPage: true });
});

test("an admin corrects a reference label in the library; the change is audited", async ({ page }) => {
  await signIn(page, adminEmail, adminPassword);
  await page.getByRole("link", { name: "Reference library" }).click();
  await expect(page.getByRole("heading", { name: "Reference library" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole("combobox", { name: "Class", exact: true }).selectOption("severe");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/class=severe/);
  const id = (await page.locator("table tbody tr").first().locator("td").nth(1).innerText()).trim();

  // Filtered by id, so the row stays on the page whatever its class becomes.
  const relabel = async (to: string) => {
    await page.goto(`/admin/reference?q=${encodeURIComponent(id)}`);
    const row = page.locator("table tbody tr").filter({ has: page.getByRole("cell", { name: id, exact: true }) });
    await row.getByRole("combobox", { name: `Class of ${id}` }).selectOption(to);
    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Save" }).click();
    await expect(row.getByRole("status")).toHaveText("Saved.");
  };
  await relabel("infected");
  await page.goto("/admin/audit?action=reference.relabelled");
  await expect(page.locator("table tbody tr").first()).toContainText(id);
  await expect(page.locator("table tbody tr").first()).toContainText('"to":"infected"');
  // Put it back: later runs and readers of this library see the corpus label.
  await relabel("severe");
});
