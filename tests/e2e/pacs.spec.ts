// The hospital's way in: an admin points Radtrack at a real Orthanc on the integration page, a modality sends films
// with DCMTK's storescu, and without anyone uploading anything the patient's timeline gets the new point, the
// lateral film is skipped with its reason on the status page, and the film of an unknown patient waits on the
// "to confirm" list until an admin creates the patient; with sending turned on, the film's result goes back to Orthanc
// as a DICOM SR.
import { expect, test, type Page } from "@playwright/test";
import { corpusPath } from "@/tests/support/image/corpus";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { startOrthanc, type TestOrthanc } from "@/tests/support/orthanc";

const adminEmail = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.test";
const adminPassword = process.env.E2E_ADMIN_PASSWORD ?? "";
const stamp = Date.now();
const mrn = `PACS-${stamp}`;
const unknownId = `NEW-${stamp}`;

let orthanc: TestOrthanc;
let fx: FixtureDir;

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  orthanc = await startOrthanc();
  fx = await FixtureDir.create();
});

test.afterAll(async () => {
  await orthanc?.remove();
  await fx?.remove();
});

async function signIn(page: Page) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(adminEmail);
  await page.getByLabel("Password").fill(adminPassword);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/patients/);
}

async function film(name: string, corpus: string, keys: Record<string, string>) {
  await fx.img2dcm(corpusPath(corpus), name, {
    Modality: "CR",
    BodyPartExamined: "CHEST",
    ViewPosition: "PA",
    StudyDate: "20261205",
    AcquisitionDate: "20261205",
    ...keys,
  });
  return fx.file(name);
}

test("films sent to the PACS reach the timeline; a lateral is skipped, an unknown patient waits", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page);
  await page.goto("/patients/new");
  await page.getByLabel("MRN").fill(mrn);
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByRole("button", { name: "Create patient" }).click();
  // The server seeds its reference library in the background meanwhile: the first write may be slow.
  await expect(page.getByRole("heading", { name: "Ada Lovelace" })).toBeVisible({ timeout: 60_000 });
  const patientUrl = page.url();

  await page.goto("/admin/integration");
  const form = page.getByRole("form", { name: "DICOMweb polling settings" });
  await form.getByLabel("Poll this PACS").check();
  await form.getByLabel("DICOMweb root URL").fill(orthanc.dicomweb);
  await form.getByLabel("User name (HTTP basic)").fill(orthanc.username);
  await form.getByLabel(/^Password/).fill(orthanc.password);
  await form.getByLabel("Poll every (seconds)").fill("5");
  await form.getByLabel(/Send each assessed film.s result back to this PACS/).check();
  await form.getByRole("button", { name: "Save settings" }).click();
  await expect(form.getByRole("status")).toHaveText("Settings saved.", { timeout: 60_000 });

  await orthanc.storescu([
    await film("frontal.dcm", "coh00021", { PatientID: mrn, PatientName: "Lovelace^Ada" }),
    await film("lateral.dcm", "coh00022", { PatientID: mrn, PatientName: "Lovelace^Ada", ViewPosition: "LL" }),
    await film("unknown.dcm", "coh00023", { PatientID: unknownId, PatientName: "Babbage^Charles" }),
  ]);

  // No upload: the poller finds the frontal film and the timeline shows it.
  const rows = page.locator(".timeline-table tbody tr");
  await expect(async () => {
    await page.goto(patientUrl);
    await expect(rows).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 120_000, intervals: [2_000] });
  await expect(rows.first().locator("th")).toHaveText(/^2026-12-05/);

  await page.goto("/admin/status");
  const pacs = page.locator("section.panel", { has: page.getByRole("heading", { name: "PACS (DICOMweb)" }) });
  await expect(pacs.getByText(orthanc.dicomweb)).toBeVisible();
  await expect(pacs.getByRole("table")).toContainText("lateral view (LL): only frontal chest films are assessed");
  // The frontal film's result went back to Orthanc as a DICOM SR, in the film's study.
  await expect(async () => {
    await page.goto("/admin/status");
    await expect(pacs.getByRole("definition").filter({ hasText: /^on; 1 sent/ })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 120_000, intervals: [2_000] });
  const auth = `Basic ${Buffer.from(`${orthanc.username}:${orthanc.password}`).toString("base64")}`;
  const srSeries = await fetch(`${orthanc.dicomweb}/series?Modality=SR&PatientID=${mrn}`, {
    headers: { authorization: auth, accept: "application/dicom+json" },
  });
  expect(srSeries.status).toBe(200);
  expect(await srSeries.json()).toHaveLength(1);

  await page.goto("/admin/integration");
  const waiting = page.locator("tr", { hasText: unknownId });
  await expect(waiting).toContainText(`no patient has MRN ${unknownId}`);
  await expect(waiting).toContainText("Charles Babbage");
  await waiting.getByRole("button", { name: `Create patient ${unknownId}` }).click();
  // Filed: the row leaves the list.
  await expect(waiting).toHaveCount(0, { timeout: 60_000 });

  await page.goto(`/patients?q=${unknownId}`);
  await page.getByRole("link", { name: unknownId }).click();
  await expect(rows).toHaveCount(1, { timeout: 30_000 });
});
