// Started by `npm start` once the server answers, as its own process: embedding runs on the main thread of the
// process that calls it, and the launcher's main thread serves the embedded database, which must not stall.
//   1. re-embeds stored scans that have no vector of the active model (after a model switch);
//   2. on the embedded default (or RADTRACK_DEMO_DATA=1), imports the reference corpus and the demo patients;
//   3. asks the server's drift worker to bring every patient's drift up to date (lib/timeline/drift-queue.ts).
import { loadConfig } from "@/lib/config";
import { createDb } from "@/lib/db/client";
import { stopJobQueue } from "@/lib/jobs/boss";
import { seedEmbeddedDefaults } from "@/lib/reference/demo";
import { writeSeedProgress } from "@/lib/reference/seed-progress";
import { activeModel } from "@/lib/scans/active-model";
import { reembedMissing, scansMissingEmbedding } from "@/lib/scans/reembed";
import { requestDriftRefresh } from "@/lib/timeline/drift-queue";

const log = (line: string) => console.log(`[radtrack] ${line}`);
const cfg = loadConfig();
if (!cfg.databaseUrl) throw new Error("background work needs DATABASE_URL (npm start provides it)");
const db = createDb(cfg.databaseUrl);
try {
  const model = await activeModel(db);
  const missing = await scansMissingEmbedding(db, model.id);
  if (missing > 0) {
    log(`${missing} scans have no vector of ${model.id} yet: re-embedding them in the background`);
    const summary = await reembedMissing(db, model, { log });
    log(`re-embedding done: ${summary.embedded} scans, ${summary.failed.length} failed`);
    await requestDriftRefresh(`re-embedding for ${model.id}`);
  }
  if (process.env.RADTRACK_DEMO_DATA === "1") {
    // Written at most once a second (and always the last state): the server reads it for the empty patient list and
    // the status page.
    let lastWrite = 0;
    let writing = Promise.resolve();
    await seedEmbeddedDefaults(db, cfg.corpusDir, log, {
      onProgress: (progress) => {
        const now = Date.now();
        if (now - lastWrite < 1000 && progress.phase !== "done" && progress.phase !== "failed") return;
        lastWrite = now;
        writing = writing.then(() => writeSeedProgress(cfg.dataDir, progress)).catch(() => undefined);
      },
    });
    await writing;
  }
} catch (error) {
  log(`background work stopped: ${(error as Error).message}`);
} finally {
  await stopJobQueue();
  await db.$disconnect();
}
