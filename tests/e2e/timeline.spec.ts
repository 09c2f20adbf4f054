// The clinician's main screen: three films of a real corpus patient uploaded out of order come back as a timeline in
// date order, each in the band its index says, with 36 labelled neighbours and the current/previous comparison.
import path from "node:path";
import sharp from "sharp";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { e2eCorpus, type TimelinePatient } from "@/tests/support/e2e-corpus";
import { attachScreenshot, seriousViolations, signIn } from "@/tests/support/e2e-page";

const clinician = { email: `timeline-${Date.now()}@e2e.test`, password: "timeline-pass-123" };
const mrn = `TL-${Date.now()}`;

interface ChartGeometry {
  frame: { left: number; top: number; right: number; bottom: number };
  markers: { x: number; y: number; r: number }[];
  ticks: number[];
}

const DAY = 86_400_000;

/**
 * What the chart drew (written on the canvas by its own plugin after each render): every marker, radius included, at
 * least 4 px inside the plot frame, and the date ticks on one calendar step (UTC midnights, equal days apart, or the
 * first of months the same number of months apart).
 */
async function expectChartReadsTrue(page: Page, films: number) {
  const canvas = page.locator(".chart-box canvas");
  await expect(canvas).toHaveAttribute("data-geometry", /markers/);
  const g = JSON.parse((await canvas.getAttribute("data-geometry")) ?? "{}") as ChartGeometry;
  expect(g.markers).toHaveLength(films);
  for (const m of g.markers) {
    expect(m.x - m.r - g.frame.left).toBeGreaterThanOrEqual(4);
    expect(g.frame.right - (m.x + m.r)).toBeGreaterThanOrEqual(4);
    expect(m.y - m.r - g.frame.top).toBeGreaterThanOrEqual(4);
    expect(g.frame.bottom - (m.y + m.r)).toBeGreaterThanOrEqual(4);
  }
  expect(g.ticks.length).toBeGreaterThanOrEqual(2);
  for (const t of g.ticks) expect(t % DAY).toBe(0);
  const months = g.ticks.map((t) => new Date(t).getUTCFullYear() * 12 + new Date(t).getUTCMonth());
  const monthly = g.ticks.every((t) => new Date(t).getUTCDate() === 1) && new Set(months).size === g.ticks.length;
  const steps = g.ticks.slice(1).map((t, i) => (monthly ? months[i + 1]! - months[i]! : t - g.ticks[i]!));
  expect(new Set(steps).size).toBe(1);
}

/**
 * The viewer: the large rendition (at most 2048 px, no metadata), wheel and keyboard zoom, drag pan, window/level by
 * preset, invert, all applied to both films alike, the heatmap overlay, and the choice of comparison film.
 */
async function expectViewerWorks(page: Page, testInfo: TestInfo, dates: string[]) {
  const grid = page.locator(".compare-grid");
  const images = grid.locator("img.film");
  const zoomable = grid.locator(".pz");
  await expect(images).toHaveCount(2);
  for (const img of await images.all()) {
    await expect(img).toHaveJSProperty("complete", true);
    expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
  }
  await expect(page.getByTestId("days-between")).toHaveText(
    `${Math.round((Date.parse(dates[2]!) - Date.parse(dates[1]!)) / DAY)} days between ${dates[1]} and ${dates[2]}`,
  );
  const src = (await images.first().getAttribute("src"))!;
  const full = await page.request.get(src);
  expect(full.headers()["content-type"]).toBe("image/jpeg");
  const meta = await sharp(Buffer.from(await full.body())).metadata();
  expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(2048);
  expect(meta.exif).toBeUndefined();

  const transforms = () => zoomable.evaluateAll((els) => els.map((el) => (el as HTMLElement).style.transform));
  const filters = () => images.evaluateAll((els) => els.map((el) => getComputedStyle(el).filter));
  const shot = () => grid.screenshot();
  const before = await shot();

  // Wheel over the current film: both films zoom, to the same transform.
  const box = (await images.first().boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 3);
  await page.mouse.wheel(0, -400);
  await expect.poll(async () => (await transforms())[0]).toMatch(/scale\((?!1\))/);
  const [a, b] = await transforms();
  expect(b).toBe(a);
  const zoomed = await shot();
  expect(zoomed.equals(before)).toBe(false);

  // Drag pans both.
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 40, { steps: 5 });
  await page.mouse.up();
  const [pa, pb] = await transforms();
  expect(pa).not.toBe(a);
  expect(pb).toBe(pa);

  // Keyboard: + zooms further (on the focused viewer, not the film order).
  await grid.focus();
  await page.keyboard.press("+");
  await expect.poll(async () => (await transforms())[0]).not.toBe(pa);
  await expect.poll(async () => new Set(await transforms()).size).toBe(1);

  // Window/level by preset (by drag, and touch pinch and pan: viewer-input.spec.ts), then invert: the same filter on
  // both films, and other pixels each time.
  const panned = await shot();
  await page.getByLabel("Window preset").selectOption("Dark range (lung fields)");
  await expect(page.locator(".viewer-tools output")).toContainText("W 140 / L 80");
  const windowed = await shot();
  expect(windowed.equals(panned)).toBe(false);
  const [fa, fb] = await filters();
  expect(fa).toMatch(/^url\(/);
  expect(fb).toBe(fa);
  await page.getByLabel("Window preset").selectOption("High contrast");
  await expect(page.locator(".viewer-tools output")).toContainText("W 96 / L 128");
  expect((await shot()).equals(windowed)).toBe(false);
  await page.getByRole("checkbox", { name: "Invert" }).check();
  const inverted = await shot();
  expect(inverted.equals(windowed)).toBe(false);
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, "viewer");

  // The heatmap of the current film: computed on request, drawn over it, its opacity adjustable, and gone again.
  await page.getByRole("checkbox", { name: "Invert" }).uncheck();
  const plain = await shot();
  await page.getByLabel(/Show what drives the score/).check();
  await expect(page.locator(".heatmap-statement")).toContainText("not a finding, a lesion or a diagnosis");
  const overlay = grid.locator("img.heatmap");
  await expect(overlay).toHaveJSProperty("complete", true, { timeout: 240_000 });
  expect(await overlay.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
  const withMap = await shot();
  expect(withMap.equals(plain)).toBe(false);
  await page.getByLabel("Overlay opacity").fill("100");
  await expect(overlay).toHaveCSS("opacity", "1");
  expect((await shot()).equals(withMap)).toBe(false);
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, "heatmap");
  await page.getByLabel(/Show what drives the score/).uncheck();
  await expect(overlay).toHaveCount(0);

  // Reset, then compare with the first film (the baseline) instead of the previous one.
  await page.getByRole("button", { name: "Reset" }).click();
  await expect.poll(async () => (await transforms())[0]).toMatch(/scale\(1\)/);
  await page.getByLabel("Compare with").selectOption({ label: `First film, baseline (${dates[0]})` });
  await expect(page.locator(".compare-pane figcaption")).toHaveText([
    `Current · ${dates[2]}`,
    `Baseline · ${dates[0]}`,
  ]);
  await expect(page.getByTestId("days-between")).toContainText(`between ${dates[0]} and ${dates[2]}`);
  await page.getByLabel("Compare with").selectOption({ label: `Previous film (${dates[1]})` });
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
  await signIn(page);
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

test("a clinician uploads three dated films and reads the timeline", async ({ page, browser }, testInfo) => {
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

  // Each view is audited once: the new patient's page once, and each upload's new page once (patient.viewed and
  // neighbours.viewed), never a second render of the page the form sat on.
  const patientId = new URL(page.url()).pathname.split("/")[2]!;
  const adminPage = await browser.newPage();
  await signIn(adminPage);
  const audited = async (action: string) => {
    await adminPage.goto(`/admin/audit?action=${action}&patient=${patientId}`);
    return adminPage.locator("table tbody tr").allInnerTexts();
  };
  const viewed = await audited("patient.viewed");
  expect(viewed, viewed.join("\n")).toHaveLength(4);
  const neighboursViewed = await audited("neighbours.viewed");
  expect(neighboursViewed, neighboursViewed.join("\n")).toHaveLength(3);
  await adminPage.close();
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
  await expectChartReadsTrue(page, 3);

  // The page shows the film just uploaded (the oldest here); select the latest: 36 labelled neighbours and the
  // comparison with the previous film.
  await rows.last().locator("th a").click();
  await expect(page).toHaveURL(/scan=/);
  const neighbours = page.locator("li.neighbour");
  await expect(neighbours).toHaveCount(36);
  for (const label of await neighbours.locator("span[class^='class-']").allInnerTexts()) {
    expect(["Healthy", "Infected", "Severe"]).toContain(label);
  }
  await expect(neighbours.first().locator(".tile-button img")).toHaveJSProperty("complete", true);
  expect(
    await neighbours
      .first()
      .locator(".tile-button img")
      .evaluate((img: HTMLImageElement) => img.naturalWidth),
  ).toBeGreaterThan(0);
  // Beside the cosine, the reciprocal percentile: a share of the library, not 36 copies of 0.999.
  const percentiles = (await neighbours.locator(".percentile").allInnerTexts()).map((t) => Number(t.replace("%", "")));
  expect(percentiles).toHaveLength(36);
  for (const p of percentiles) expect(p).toBeGreaterThan(0);
  for (const p of percentiles) expect(p).toBeLessThanOrEqual(100);

  // A tile opens the reference film's panel: the film large, class, source, finding, scores, the patient's films.
  await neighbours.first().locator(".tile-button").click();
  const panel = page.getByRole("dialog");
  await expect(panel).toBeVisible();
  await expect(panel.getByRole("heading", { level: 3 })).toHaveText(/^Reference film \S+/);
  await expect(panel.locator(".reference-large img")).toHaveJSProperty("complete", true);
  expect(
    await panel.locator(".reference-large img").evaluate((img: HTMLImageElement) => img.naturalWidth),
  ).toBeGreaterThan(256);
  for (const term of ["Class", "Source", "Source id", "Finding", "Expert scores", "Reference patient"]) {
    await expect(panel.getByRole("term").filter({ hasText: new RegExp(`^${term}$`) })).toBeVisible();
  }
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, "neighbour-panel");
  await panel.getByRole("button", { name: "Close" }).click();
  await expect(panel).toBeHidden();

  await expect(page.locator(".compare-pane figcaption")).toHaveText([
    `Current · ${patient.films[2]!.date}`,
    `Previous · ${patient.films[1]!.date}`,
  ]);
  await attachScreenshot(page, testInfo, "timeline");
  await expectViewerWorks(
    page,
    testInfo,
    patient.films.map((f) => f.date),
  );
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
  await attachScreenshot(page, testInfo, "patient-list");
});

test("an admin corrects a reference label in the library; the change is audited", async ({ page }) => {
  await signIn(page);
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
