// Progress of the first-start seeding (reference library, then demo patients), which runs in its own process
// (scripts/background-work.ts): written to a small JSON file in the data directory, atomically, and read by the
// server for the empty patient list and the status page. The seeding belongs to `npm start` on one machine, so the
// data directory is the one place both processes share without a migration.
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export const SEED_PROGRESS_FILE = "seed-progress.json";

const progressSchema = z.object({
  phase: z.enum(["reference", "demo", "done", "failed"]),
  /** Films of the phase handled so far (reference films imported or already there; demo films added or present). */
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  startedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Seconds left in this phase at the rate measured so far; null until there is a rate. */
  etaSeconds: z.number().min(0).nullable(),
  error: z.string().optional(),
});

export type SeedProgress = z.infer<typeof progressSchema>;
export type SeedPhase = SeedProgress["phase"];

export async function writeSeedProgress(dataDir: string, progress: SeedProgress): Promise<void> {
  const file = path.join(dataDir, SEED_PROGRESS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(progress), { mode: 0o600 });
  await rename(tmp, file);
}

/** The last progress written, or null when none was (no seeding on this data directory) or the file is unreadable. */
export async function readSeedProgress(dataDir: string): Promise<SeedProgress | null> {
  try {
    const parsed = progressSchema.safeParse(JSON.parse(await readFile(path.join(dataDir, SEED_PROGRESS_FILE), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Tracks one phase: the rate counts only what this run did (a resumed import starts with films already there), and
 * the ETA is what is left at that rate.
 */
export function phaseTracker(phase: SeedPhase, now: () => number = Date.now) {
  const startedAt = now();
  let firstDone: number | null = null;
  return (done: number, total: number): SeedProgress => {
    firstDone ??= done;
    const t = now();
    const rate = t > startedAt ? (done - firstDone) / ((t - startedAt) / 1000) : 0;
    return {
      phase,
      done,
      total,
      startedAt: new Date(startedAt).toISOString(),
      updatedAt: new Date(t).toISOString(),
      etaSeconds: done >= total ? 0 : rate > 0 ? (total - done) / rate : null,
    };
  };
}

/** "about 3 min left" / "less than a minute left" / "" (no rate yet). */
export function etaText(etaSeconds: number | null): string {
  if (etaSeconds === null) return "";
  if (etaSeconds < 60) return "less than a minute left";
  return `about ${Math.round(etaSeconds / 60)} min left`;
}
