// Demo patients built from the corpus (persons with dated films), ingested through the same path as a clinician's
// upload, and the embedded default's first-start seeding (reference library, then demo patients).
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PublicActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { activeModel } from "@/lib/scans/active-model";
import { requestDriftRefresh } from "@/lib/timeline/drift-queue";
import { DuplicateScanError } from "@/lib/scans/errors";
import { ingestScan } from "@/lib/scans/ingest";
import { sha256Of } from "@/lib/scans/pipeline";
import { scanStore } from "@/lib/storage";
import type { ScanStore } from "@/lib/storage/scan-store";
import { DEFAULT_DEMO_PATIENTS, selectDemoPatients, type DemoPatientPlan } from "./demo-selection";
import { importReferenceLibrary, pendingReferenceImports, type ImportSummary } from "./import";
import { imagePath, readMetadata } from "./metadata";
import { countByReason } from "./plan";
import { phaseTracker, type SeedProgress } from "./seed-progress";

/** Day 0 of every demo timeline. Offsets are days since onset or admission, so the calendar dates are made up. */
export const DEMO_BASE_DATE = Date.UTC(2026, 0, 5, 8, 0, 0);
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface DemoSeedOptions {
  store?: ScanStore;
  maxPatients?: number;
  log?: (line: string) => void;
  ctx?: PublicActionContext;
  /** After each film: films handled (added or already there) of all the demo films. */
  onProgress?: (done: number, total: number) => void;
}

export interface DemoSeedSummary {
  patientsCreated: number;
  patientsPresent: number;
  scansAdded: number;
  scansPresent: number;
  /** Films that could not be added, with why (missing file, refused by the decoder, MRN taken by a real patient). */
  problems: { id: string; reason: string }[];
}

/** Acquisition time of each dated film: base date + offset; films of the same day an hour apart, in id order. */
export function demoAcquisitionTimes(plan: DemoPatientPlan): Date[] {
  const perDay = new Map<number, number>();
  return plan.scans.map((row) => {
    const day = row.offsetDays ?? 0;
    const nth = perDay.get(day) ?? 0;
    perDay.set(day, nth + 1);
    return new Date(DEMO_BASE_DATE + day * DAY_MS + nth * HOUR_MS);
  });
}

/**
 * Creates the demo patients and their scans. Idempotent per patient (by MRN) and per film (by content), so an
 * interrupted run is finished by the next one. A real (non-demo) patient that already holds a demo MRN is left alone.
 */
export async function seedDemoPatients(db: Db, dir: string, options: DemoSeedOptions = {}): Promise<DemoSeedSummary> {
  const log = options.log ?? (() => {});
  const store = options.store ?? scanStore();
  const ctx: PublicActionContext = options.ctx ?? { actor: null, ip: null };
  const corpusDir = path.resolve(dir);
  const metadata = await readMetadata(corpusDir);
  const { patients } = selectDemoPatients(metadata.rows, options.maxPatients ?? DEFAULT_DEMO_PATIENTS);
  const summary: DemoSeedSummary = {
    patientsCreated: 0,
    patientsPresent: 0,
    scansAdded: 0,
    scansPresent: 0,
    problems: [],
  };

  const totalFilms = patients.reduce((sum, p) => sum + p.scans.length, 0);
  let handled = 0;
  const progressed = (films: number) => {
    handled += films;
    options.onProgress?.(handled, totalFilms);
  };
  options.onProgress?.(0, totalFilms);

  for (const plan of patients) {
    let patient = await db.patient.findUnique({ where: { mrn: plan.mrn } });
    if (patient && !patient.isDemo) {
      summary.problems.push({ id: plan.mrn, reason: "MRN belongs to a real patient" });
      progressed(plan.scans.length);
      continue;
    }
    if (patient) {
      summary.patientsPresent++;
    } else {
      patient = await db.$transaction(async (tx) => {
        const created = await tx.patient.create({
          data: {
            mrn: plan.mrn,
            name: plan.name,
            sex: plan.sex,
            isDemo: true,
            notes:
              `Demo patient built from the public chest X-ray corpus (${plan.patientIds.join(", ")}). ` +
              "Acquisition dates are the source's day offsets added to a fixed date, not real dates.",
          },
        });
        await recordAudit(tx, ctx, {
          action: "patient.created",
          targetType: "patient",
          targetId: created.id,
          patientId: created.id,
          details: { demo: true },
        });
        return created;
      });
      summary.patientsCreated++;
    }

    const have = new Set(
      (await db.scan.findMany({ where: { patientId: patient.id }, select: { sha256: true } })).map((s) => s.sha256),
    );
    const times = demoAcquisitionTimes(plan);
    for (const [i, row] of plan.scans.entries()) {
      if (i > 0) progressed(1);
      let bytes: Buffer;
      try {
        bytes = await readFile(imagePath(corpusDir, row.id));
      } catch {
        summary.problems.push({ id: row.id, reason: "image file missing" });
        continue;
      }
      const sha256 = sha256Of(bytes);
      if (have.has(sha256)) {
        summary.scansPresent++;
        continue;
      }
      try {
        await ingestScan(
          db,
          {
            patientId: patient.id,
            bytes,
            sha256,
            origin: "upload",
            acquiredAt: times[i]!,
            view: row.view ?? undefined,
          },
          ctx,
          store,
        );
        summary.scansAdded++;
      } catch (error) {
        // The same film twice in one timeline (the source re-published it) is not a problem worth reporting.
        if (error instanceof DuplicateScanError) summary.scansPresent++;
        else summary.problems.push({ id: row.id, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    if (plan.scans.length > 0) progressed(1);
    log(`demo patient ${plan.rank} (${plan.mrn}): ${plan.scans.length} dated films`);
  }
  return summary;
}

export interface SeedResult {
  reference: ImportSummary | null;
  demo: DemoSeedSummary | null;
}

/**
 * First-start seeding of the embedded default, meant to run in the background of `npm start`: imports the reference
 * library when it is empty or was interrupted (films still pending), then adds the demo patients that are missing.
 * Without a corpus folder it does nothing. Never throws: a failed seed must not take the server down.
 */
export async function seedEmbeddedDefaults(
  db: Db,
  corpusDir: string | undefined,
  log: (line: string) => void,
  options: { onProgress?: (progress: SeedProgress) => void } = {},
): Promise<SeedResult> {
  const result: SeedResult = { reference: null, demo: null };
  if (!corpusDir) {
    log("no corpus folder (RADTRACK_CORPUS_DIR): the reference library stays empty");
    return result;
  }
  const onProgress = options.onProgress ?? (() => {});
  const seen: { last: SeedProgress | null } = { last: null };
  const report = (p: SeedProgress) => {
    seen.last = p;
    onProgress(p);
  };
  try {
    const model = await activeModel(db);
    const { pending, accepted } = await pendingReferenceImports(db, corpusDir, { model });
    if (pending > 0) {
      log(
        `importing the reference library: ${pending} of ${accepted} films from ${corpusDir} (runs in the background)`,
      );
      let lastLog = 0;
      const track = phaseTracker("reference");
      result.reference = await importReferenceLibrary(db, corpusDir, {
        model,
        log,
        onProgress: (p) => {
          report(track(p.done, p.total));
          // A line every 20 s is enough in a server log.
          if (performance.now() - lastLog > 20_000 || p.done === p.total) {
            lastLog = performance.now();
            log(`reference import: ${p.done}/${p.total} films`);
          }
        },
      });
      const r = result.reference;
      const skipped = countByReason(r.skipped)
        .map((s) => `${s.count} ${s.reason}`)
        .join(", ");
      log(
        `reference library: ${r.imported} imported in ${r.seconds.toFixed(0)} s${skipped ? `; skipped: ${skipped}` : ""}`,
      );
    }
    const expected = selectDemoPatients((await readMetadata(corpusDir)).rows).patients.length;
    const present = await db.patient.count({ where: { isDemo: true } });
    const trackDemo = phaseTracker("demo");
    result.demo = await seedDemoPatients(db, corpusDir, {
      log: present >= expected ? () => {} : log,
      onProgress: (done, total) => report(trackDemo(done, total)),
    });
    if (result.demo.scansAdded > 0 || result.demo.patientsCreated > 0) {
      log(`demo patients: ${result.demo.patientsCreated} created, ${result.demo.scansAdded} scans added`);
    }
    for (const p of result.demo.problems) log(`demo data: ${p.id}: ${p.reason}`);
    if ((result.reference?.imported ?? 0) > 0 || result.demo.scansAdded > 0) {
      await requestDriftRefresh("reference library / demo data seeded");
    }
    const final = seen.last;
    if (final) report({ ...final, phase: "done", etaSeconds: 0, updatedAt: new Date().toISOString() });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`seeding the reference library / demo data failed: ${message}`);
    const now = new Date().toISOString();
    const failed = seen.last;
    report({
      ...(failed ?? { done: 0, total: 0, startedAt: now, etaSeconds: null }),
      phase: "failed",
      updatedAt: now,
      error: message,
    });
  }
  return result;
}
