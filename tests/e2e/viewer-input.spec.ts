// The viewer's inputs beyond the mouse wheel and keys, and films taken on one day: three films of a real corpus
// patient, two of them on one day at different times (uploaded latest-first), come back in acquisition order on the
// chart, table and strip with their times, and the comparison takes the earlier film of that day as "previous".
// Window/level by drag changes the pixels of both films by the same transfer and Reset restores them; a two-finger
// pinch (touch events through the DevTools protocol) zooms both films, one finger pans them.
import path from "node:path";
import sharp from "sharp";
import { expect, test, type Locator } from "@playwright/test";
import { realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { e2eCorpus } from "@/tests/support/e2e-corpus";
import { attachScreenshot, seriousViolations, signIn } from "@/tests/support/e2e-page";

const mrn = `VI-${Date.now()}`;
const DAY = 86_400_000;

/** A pane's pixels as grey levels (what the reader sees: film, filter and frame). */
async function grey(pane: Locator): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(await pane.screenshot())
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(b.length).toBe(a.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function shareChanged(a: Uint8Array, b: Uint8Array, by: number): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > by) n++;
  return n / a.length;
}

/** The window's transfer on 8-bit grey levels: the window [level - width/2, level + width/2] stretched to 0-255. */
function windowed(v: number, width: number, level: number): number {
  return Math.min(255, Math.max(0, ((v - (level - width / 2)) * 255) / width));
}

function readout(text: string): { width: number; level: number } {
  const m = /W (\d+) \/ L (\d+)/.exec(text);
  if (!m) throw new Error(`no window in "${text}"`);
  return { width: Number(m[1]), level: Number(m[2]) };
}

test.describe.configure({ mode: "serial" });

/** The patient's page with the latest film selected (its comparison: the earlier film of the same day). */
let latestUrl = "";
let days: { first: string; same: string };

test("films of one day come back in acquisition order with their times; the earlier is the previous", async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  const films = (await e2eCorpus()).timeline.films;
  // Two days apart would leave the 6 h between the same-day films a few pixels on the chart: one day apart.
  const sameDay = films[1]!.date;
  days = { first: new Date(Date.parse(sameDay) - DAY).toISOString().slice(0, 10), same: sameDay };
  await signIn(page);
  // The server imports the reference library in the background: uploads are assessed against it.
  await expect(async () => {
    await page.goto("/admin/status");
    const counts = await page.locator("#library-heading + dl dd").allInnerTexts();
    expect(counts.slice(0, 3).reduce((sum, text) => sum + Number(text), 0)).toBeGreaterThanOrEqual(36);
  }).toPass({ timeout: 240_000, intervals: [2_000] });

  await page.goto("/patients/new");
  await page.getByLabel("MRN").fill(mrn);
  await page.getByLabel("Name").fill("Same Day Patient");
  await page.getByRole("button", { name: "Create patient" }).click();
  await expect(page.getByRole("heading", { name: "Same Day Patient" })).toBeVisible();

  // The afternoon film before the morning one: the order must come from the times, not from the uploads.
  const uploads = [
    { id: films[0]!.id, date: days.first, time: "" },
    { id: films[2]!.id, date: days.same, time: "14:30" },
    { id: films[1]!.id, date: days.same, time: "08:15" },
  ];
  const form = page.getByRole("form", { name: "Upload a scan" });
  const rows = page.locator(".timeline-table tbody tr");
  for (const [i, film] of uploads.entries()) {
    await form.locator('input[type="file"]').setInputFiles(path.join(realCorpusDir(), `${film.id}.jpg`));
    await form.getByLabel(/Acquisition date/).fill(film.date);
    await form.getByLabel(/^Time/).fill(film.time);
    await form.getByRole("button", { name: "Upload scan" }).click();
    await expect(rows).toHaveCount(i + 1, { timeout: 60_000 });
  }

  const expected = [days.first, `${days.same} 08:15`, `${days.same} 14:30`];
  await expect(rows.locator("th")).toHaveText(expected);
  await expect(page.locator(".scan-strip li span")).toHaveText(expected);

  // The CSV export: the same order, the time in its own column (empty where none was recorded).
  const csvUrl = page.url().replace(/\/patients\/([^/?]+).*/, "/api/patients/$1/timeline.csv");
  const csv = (await (await page.request.get(csvUrl)).text()).trim().split(/\r\n/);
  expect(csv[0]!.split(",").slice(0, 2)).toEqual(["acquired_at", "acquired_time"]);
  expect(csv.slice(1).map((l) => l.split(",").slice(0, 2))).toEqual([
    [days.first, ""],
    [days.same, "08:15:00"],
    [days.same, "14:30:00"],
  ]);

  // The chart draws the three films left to right in that order, the two of one day apart by their 6 h 15 min.
  const canvas = page.locator(".chart-box canvas");
  await expect(canvas).toHaveAttribute("data-geometry", /markers/);
  await expect(async () => {
    const g = JSON.parse((await canvas.getAttribute("data-geometry")) ?? "{}") as { markers: { x: number }[] };
    expect(g.markers).toHaveLength(3);
    const [a, b, c] = g.markers.map((m) => m.x) as [number, number, number];
    expect(b).toBeGreaterThan(a);
    // 08:15 to 14:30 is 6.25 h of the 38.5 h from the first film (midnight, no time) to the last: on a time axis,
    // not evenly spaced like categories, and far more than a marker's width apart.
    expect(c - b).toBeGreaterThan(20);
    expect((c - b) / (c - a)).toBeCloseTo(6.25 / 38.5, 1);
  }).toPass({ timeout: 10_000 });

  // The latest film, compared with the earlier one of the same day.
  await rows.last().locator("th a").click();
  // The upload left the page on the film just uploaded (?scan= already): the URL is taken once the heading is the
  // latest film's.
  await expect(page.getByRole("heading", { name: `Scan of ${days.same} 14:30` })).toBeVisible();
  latestUrl = page.url();
  await expect(page.locator(".compare-pane figcaption")).toHaveText([
    `Current · ${days.same} 14:30`,
    `Previous · ${days.same} 08:15`,
  ]);
  await expect(page.getByTestId("days-between")).toHaveText(
    `Same day: 6 h 15 min between 08:15 and 14:30 on ${days.same}`,
  );
  await expect(page.getByLabel("Compare with").locator("option:checked")).toHaveText(
    `Previous film (${days.same} 08:15)`,
  );
  // The baseline is the untimed film of the day before: one calendar day.
  await page.getByLabel("Compare with").selectOption({ label: `First film, baseline (${days.first})` });
  await expect(page.getByTestId("days-between")).toHaveText(`1 day between ${days.first} and ${days.same} 14:30`);
  await page.getByLabel("Compare with").selectOption({ label: `Previous film (${days.same} 08:15)` });

  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, "timeline-same-day");
});

test("window/level by mouse drag changes both films by the same transfer; Reset restores them", async ({
  page,
}, testInfo) => {
  test.setTimeout(120_000);
  await signIn(page);
  await page.goto(latestUrl);
  const grid = page.locator(".compare-grid");
  const frames = grid.locator(".compare-frame");
  const images = grid.locator("img.film");
  await expect(images).toHaveCount(2);
  for (const img of await images.all()) {
    await expect(img).toHaveJSProperty("complete", true);
    expect(await img.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBeGreaterThan(0);
  }
  const transforms = () =>
    grid.locator(".pz").evaluateAll((els) => els.map((el) => (el as HTMLElement).style.transform));
  const untouched = await transforms();
  const before = [await grey(frames.nth(0)), await grey(frames.nth(1))];
  const output = page.locator(".viewer-tools output");
  await expect(output).toContainText("W 256 / L 128");

  await page.getByRole("radio", { name: "window / level" }).check();
  // The whole pane in the viewport: a point below its fold would get no mouse events at all.
  await frames.first().scrollIntoViewIfNeeded();
  const box = (await frames.first().boundingBox())!;
  expect(box.y + box.height).toBeLessThanOrEqual(page.viewportSize()!.height);
  const x = Math.round(box.x + box.width / 2);
  const y = Math.round(box.y + box.height / 2);
  // Left narrows the window by 100 levels, down lowers the level by 30: window 156 wide from grey 20 to 176 (its
  // low end stays above 0, so the black frame around the film stays black like the film's black).
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x - 100, y + 30, { steps: 10 });
  await page.mouse.up();
  await expect(output).toContainText("W 156 / L 98");
  const { width, level } = readout(await output.innerText());
  // The drag set the window, not the view.
  expect(await transforms()).toEqual(untouched);

  const after = [await grey(frames.nth(0)), await grey(frames.nth(1))];
  for (const [i, pane] of after.entries()) {
    const was = before[i]!.data;
    // Most of the film changed visibly, and every pixel is where the window's transfer of its old grey puts it:
    // the same function on both films.
    const predicted = was.map((v) => Math.round(windowed(v, width, level)));
    const changed = shareChanged(was, pane.data, 8);
    const error = meanAbsDiff(predicted, pane.data);
    console.log(
      `window drag, pane ${i}: ${(changed * 100).toFixed(1)}% of pixels moved > 8 levels; mean |shown - transfer| ${error.toFixed(2)}`,
    );
    expect(changed, `pane ${i}`).toBeGreaterThan(0.2);
    expect(error, `pane ${i}`).toBeLessThan(2.5);
  }
  const filters = await images.evaluateAll((els) => els.map((el) => getComputedStyle(el).filter));
  expect(filters[0]).toMatch(/^url\(/);
  expect(filters[1]).toBe(filters[0]);
  expect(await seriousViolations(page)).toEqual([]);
  await attachScreenshot(page, testInfo, "viewer-window-drag");

  // A second drag starts from where the first left the window (right widens, up raises the level).
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 40, y - 10, { steps: 5 });
  await page.mouse.up();
  await expect(output).toContainText("W 196 / L 108");

  await page.getByRole("button", { name: "Reset" }).click();
  await expect(output).toContainText("W 256 / L 128");
  const reset = [await grey(frames.nth(0)), await grey(frames.nth(1))];
  for (const [i, pane] of reset.entries()) {
    expect(meanAbsDiff(before[i]!.data, pane.data), `pane ${i}`).toBeLessThan(0.5);
  }

  // Back to the pan tool: a drag pans both films again and leaves the window alone.
  await page.getByRole("radio", { name: "pan" }).check();
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 60, y + 40, { steps: 5 });
  await page.mouse.up();
  await expect(output).toContainText("W 256 / L 128");
  await expect.poll(async () => (await transforms())[0]).not.toBe(untouched[0]);
  const [pa, pb] = await transforms();
  expect(pb).toBe(pa);

  // Keyboard: arrows pan both films alike; 0 resets.
  await grid.focus();
  await page.keyboard.press("ArrowLeft");
  await expect.poll(async () => (await transforms())[0]).not.toBe(pa);
  await expect.poll(async () => new Set(await transforms()).size).toBe(1);
  await page.keyboard.press("0");
  await expect.poll(async () => (await transforms())[0]).toMatch(/scale\(1\)/);
});

function scaleOf(transform: string): number {
  const m = /scale\(([\d.]+)\)/.exec(transform);
  return m ? Number(m[1]) : 1;
}

test("touch: a two-finger pinch zooms both films, one finger pans them", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ hasTouch: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
    await signIn(page);
    await page.goto(latestUrl);
    const grid = page.locator(".compare-grid");
    const frames = grid.locator(".compare-frame");
    const images = grid.locator("img.film");
    await expect(images).toHaveCount(2);
    for (const img of await images.all()) await expect(img).toHaveJSProperty("complete", true);
    await frames.first().scrollIntoViewIfNeeded();
    const transforms = () =>
      grid.locator(".pz").evaluateAll((els) => els.map((el) => (el as HTMLElement).style.transform));
    expect(await frames.first().evaluate((el) => getComputedStyle(el.querySelector(".pz")!).touchAction)).toBe("none");
    const before = [await grey(frames.nth(0)), await grey(frames.nth(1))];

    const cdp = await context.newCDPSession(page);
    const touch = (type: "touchStart" | "touchMove" | "touchEnd", points: { x: number; y: number }[]) =>
      cdp.send("Input.dispatchTouchEvent", {
        type,
        touchPoints: points.map((p, id) => ({ x: p.x, y: p.y, id, radiusX: 4, radiusY: 4, force: 1 })),
      });
    const box = (await frames.first().boundingBox())!;
    const cx = Math.round(box.x + box.width / 2);
    const cy = Math.round(box.y + box.height / 2);

    // Two fingers 40 px apart spread to 240 px apart, in small steps like a hand.
    await touch("touchStart", [
      { x: cx - 20, y: cy },
      { x: cx + 20, y: cy },
    ]);
    for (let step = 1; step <= 10; step++) {
      const half = 20 + step * 10;
      await touch("touchMove", [
        { x: cx - half, y: cy },
        { x: cx + half, y: cy },
      ]);
    }
    await touch("touchEnd", []);
    await expect.poll(async () => scaleOf((await transforms())[0]!)).toBeGreaterThan(1.3);
    await expect.poll(async () => new Set(await transforms()).size).toBe(1);
    const pinched = await transforms();
    const zoomed = [await grey(frames.nth(0)), await grey(frames.nth(1))];
    for (const [i, pane] of zoomed.entries()) {
      expect(shareChanged(before[i]!.data, pane.data, 8), `pane ${i}`).toBeGreaterThan(0.1);
    }
    expect(await seriousViolations(page)).toEqual([]);
    await attachScreenshot(page, testInfo, "viewer-pinch");

    // One finger drags both films (the scale stays).
    await touch("touchStart", [{ x: cx, y: cy }]);
    for (let step = 1; step <= 8; step++) await touch("touchMove", [{ x: cx + step * 10, y: cy + step * 5 }]);
    await touch("touchEnd", []);
    await expect.poll(async () => (await transforms())[0]).not.toBe(pinched[0]);
    const [a, b] = await transforms();
    expect(b).toBe(a);
    expect(scaleOf(a!)).toBeCloseTo(scaleOf(pinched[0]!), 5);
  } finally {
    await context.close();
  }
});
