// Issue 11 item 3 through the UI: a film uploaded by mistake is withdrawn from the patient page with its dialog (the
// reason is required), leaves the timeline at once and waits under "Withdrawn films" with who, when and why; an admin
// restores it, then purges it after typing the confirmation word. The page passes axe with the dialog open and after.
import path from "node:path";
import { expect, test } from "@playwright/test";
import { realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { e2eCorpus, type TimelinePatient } from "@/tests/support/e2e-corpus";
import { e2eAdmin, seriousViolations, signIn } from "@/tests/support/e2e-page";

const mrn = `WD-${Date.now()}`;
const reason = "Uploaded to the wrong patient (belongs to the next bed)";

let patient: TimelinePatient;

test.beforeAll(async () => {
  patient = (await e2eCorpus()).timeline;
});

test("a film is withdrawn with a reason, restored, and purged by an admin", async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page);
  await page.goto("/patients/new");
  await page.getByLabel("MRN").fill(mrn);
  await page.getByLabel("Name").fill("Withdraw Patient");
  await page.getByRole("button", { name: "Create patient" }).click();
  await expect(page.getByRole("heading", { name: "Withdraw Patient" })).toBeVisible();

  const upload = page.getByRole("form", { name: "Upload a scan" });
  const rows = page.locator(".timeline-table tbody tr");
  const [kept, wrong] = patient.films;
  for (const [i, film] of [kept!, wrong!].entries()) {
    await upload.locator('input[type="file"]').setInputFiles(path.join(realCorpusDir(), `${film.id}.jpg`));
    await upload.getByLabel(/Acquisition date/).fill(film.date);
    await upload.getByRole("button", { name: "Upload scan" }).click();
    await expect(rows).toHaveCount(i + 1, { timeout: 60_000 });
  }
  // The page now shows the film just uploaded: the wrong one.
  await expect(page.getByRole("heading", { name: `Scan of ${wrong!.date}` })).toBeVisible();

  await page.getByRole("button", { name: "Withdraw", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: `Withdraw the scan of ${wrong!.date}?` });
  await expect(dialog).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  // No reason: refused with a message at the field, nothing withdrawn.
  await dialog.getByRole("button", { name: "Withdraw scan" }).click();
  await expect(dialog.getByText(/Give the reason for withdrawing this scan/)).toBeVisible();
  await expect(rows).toHaveCount(2);
  await dialog.getByLabel("Reason for withdrawing").fill(reason);
  await dialog.getByRole("button", { name: "Withdraw scan" }).click();
  await expect(dialog).toBeHidden();

  // Off the timeline at once; listed, collapsed, under "Withdrawn films" with who, when and why.
  await expect(rows).toHaveCount(1);
  await expect(rows.locator("th")).toHaveText([kept!.date]);
  const withdrawn = page.locator("details.withdrawn-films");
  await expect(withdrawn).toBeVisible();
  await expect(withdrawn).not.toHaveAttribute("open", /.*/);
  await withdrawn.getByText("Withdrawn films (1)").click();
  await expect(withdrawn.getByText(`Reason: ${reason}`)).toBeVisible();
  await expect(withdrawn.getByText(e2eAdmin.email)).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);

  // Restore: back on the timeline.
  await withdrawn.getByRole("button", { name: "Restore" }).click();
  await expect(rows).toHaveCount(2);
  await expect(page.locator("details.withdrawn-films")).toHaveCount(0);

  // Withdraw again, then purge: the confirmation word is required.
  await page.goto(`${new URL(page.url()).pathname}`);
  await expect(page.getByRole("heading", { name: `Scan of ${wrong!.date}` })).toBeVisible();
  await page.getByRole("button", { name: "Withdraw", exact: true }).click();
  await dialog.getByLabel("Reason for withdrawing").fill(reason);
  await dialog.getByRole("button", { name: "Withdraw scan" }).click();
  await expect(rows).toHaveCount(1);
  await page.locator("details.withdrawn-films").getByText("Withdrawn films (1)").click();
  await page.getByRole("button", { name: "Purge…" }).click();
  const purge = page.getByRole("dialog", { name: `Purge the withdrawn scan of ${wrong!.date}?` });
  await expect(purge).toBeVisible();
  await purge.getByLabel("Type PURGE to confirm").fill("purge it");
  await purge.getByRole("button", { name: "Purge for good" }).click();
  await expect(purge.getByRole("alert")).toHaveText("Type PURGE to confirm, or cancel.");
  await purge.getByLabel("Type PURGE to confirm").fill("PURGE");
  await purge.getByRole("button", { name: "Purge for good" }).click();
  await expect(page.locator("details.withdrawn-films")).toHaveCount(0);
  await expect(rows).toHaveCount(1);

  // The audit log kept the whole story.
  const patientId = new URL(page.url()).pathname.split("/")[2]!;
  for (const action of ["scan.withdrawn", "scan.restored", "scan.purged"]) {
    await page.goto(`/admin/audit?action=${action}&patient=${patientId}`);
    await expect(page.locator("table tbody tr")).toHaveCount(action === "scan.withdrawn" ? 2 : 1);
  }
});
