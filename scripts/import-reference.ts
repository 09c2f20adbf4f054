// `npm run import:reference -- [<corpus dir>] [--include-pediatric] [--index auto|keep|rebuild]`
// Imports a folder in the corpus format (metadata.csv + <id>.jpg) into the reference library of DATABASE_URL, or of
// the embedded database under RADTRACK_DATA_DIR (as `npm run migrate` does; stop `npm start` first, the embedded
// database takes one process). Applies pending migrations first. Safe to re-run: present films are not added again.
//
// `--seed-defaults` is for `npm start` on the embedded default: it runs seedEmbeddedDefaults (reference library when
// empty or unfinished, then the demo patients) against DATABASE_URL, as a child process at low priority. Not in the
// launcher's own process: inference blocks the event loop for a batch at a time, and the launcher serves PGlite.
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "@/lib/config";
import { createDb } from "@/lib/db/client";
import { stopJobQueue } from "@/lib/jobs/boss";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";
import { includePediatricFromEnv } from "@/lib/config";
import { seedEmbeddedDefaults } from "@/lib/reference/demo";
import { importReferenceLibrary, type IndexStrategy } from "@/lib/reference/import";
import { createProgressReporter, formatDuration } from "@/lib/reference/progress";
import { SKIP_REASONS, type SkippedRow } from "@/lib/reference/plan";
import { requestDriftRefresh } from "@/lib/timeline/drift-queue";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "include-pediatric": { type: "boolean", default: false },
    index: { type: "string", default: "auto" },
    "seed-defaults": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log("usage: npm run import:reference -- [<corpus dir>] [--include-pediatric] [--index auto|keep|rebuild]");
  process.exit(0);
}
const index = values.index as IndexStrategy;
if (!["auto", "keep", "rebuild"].includes(index)) {
  console.error(`--index takes auto, keep or rebuild; got ${values.index}`);
  process.exit(2);
}

const cfg = loadConfig();

if (values["seed-defaults"]) {
  if (!cfg.databaseUrl) {
    console.error("--seed-defaults needs DATABASE_URL (npm start passes the embedded database's)");
    process.exit(2);
  }
  // Background work: the web server answering clinicians comes first on a small machine.
  try {
    os.setPriority(10);
  } catch {
    // Not allowed here: run at normal priority.
  }
  const seedDb = createDb(cfg.databaseUrl);
  await seedEmbeddedDefaults(seedDb, positionals[0] ? path.resolve(positionals[0]) : cfg.corpusDir, (line) =>
    console.log(`[radtrack] ${line}`),
  );
  await stopJobQueue();
  await seedDb.$disconnect();
  process.exit(0);
}

const dir = positionals[0] ? path.resolve(positionals[0]) : cfg.corpusDir;
if (!dir) {
  console.error("Name the corpus folder (npm run import:reference -- <dir>) or set RADTRACK_CORPUS_DIR.");
  process.exit(2);
}
const includePediatric = values["include-pediatric"] || includePediatricFromEnv();

function summariseSkips(skipped: readonly SkippedRow[]): string[] {
  const groups = new Map<string, SkippedRow[]>();
  for (const s of skipped) groups.set(s.reason, [...(groups.get(s.reason) ?? []), s]);
  const lines: string[] = [];
  for (const [reason, rows] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`  ${String(rows.length).padStart(5)}  ${reason}`);
    // Bulk reasons (pediatric, demo) are self-explanatory; the rare ones deserve their ids.
    const noisy = reason === SKIP_REASONS.pediatric || reason === SKIP_REASONS.demo;
    if (!noisy) {
      for (const r of rows.slice(0, 5)) {
        lines.push(`         ${r.id ?? `line ${r.line}`}${r.detail ? `: ${r.detail}` : ""}`);
      }
      if (rows.length > 5) lines.push(`         ... and ${rows.length - 5} more`);
    }
  }
  return lines;
}

const embedded = cfg.databaseUrl ? undefined : await startEmbeddedDatabase({ dataDir: cfg.dataDir });
const url = cfg.databaseUrl ?? embedded!.url;
const db = createDb(url);
try {
  const migrated = await migrate(url, { log: (l) => console.log(l) });
  if (migrated.applied.length > 0) console.log(`${migrated.applied.length} migration(s) applied`);
  console.log(
    `importing ${dir} into ${cfg.databaseUrl ? "DATABASE_URL" : `the embedded database in ${cfg.dataDir}`}` +
      (includePediatric ? " (pediatric films included)" : ""),
  );
  const bar = createProgressReporter(process.stdout, { label: "films " });
  let last = { done: 0, total: 0, note: "" };
  const summary = await importReferenceLibrary(db, dir, {
    includePediatric,
    index,
    log: (line) => console.log(`${process.stdout.isTTY ? "\r\x1b[K" : ""}${line}`),
    onProgress: (p) => {
      last = { done: p.done, total: p.total, note: `${p.imported} imported, ${p.skipped} skipped` };
      bar.update(last);
    },
  });
  bar.finish(last);
  const classes = Object.entries(summary.byClass)
    .map(([c, n]) => `${n} ${c}`)
    .join(", ");
  console.log(
    [
      "",
      `model ${summary.modelId}, ${summary.rows} metadata rows`,
      `imported        ${summary.imported}${summary.imported ? ` (${classes})` : ""}`,
      `already present ${summary.alreadyPresent}${summary.vectorsAdded ? ` (${summary.vectorsAdded} got a vector of this model)` : ""}`,
      `skipped         ${summary.skipped.length}`,
      ...summariseSkips(summary.skipped),
      summary.index.dropped
        ? `HNSW index dropped for the load and rebuilt in ${summary.index.rebuildSeconds?.toFixed(1)} s`
        : "HNSW index kept during the load",
      `done in ${formatDuration(summary.seconds)}`,
    ].join("\n"),
  );
  // A server on this database recomputes the patients' drift against the new library; on the embedded database
  // the server is stopped now and catches up when it starts.
  if (cfg.databaseUrl && (summary.imported > 0 || summary.vectorsAdded > 0)) {
    if (await requestDriftRefresh("reference import", { url: cfg.databaseUrl })) {
      console.log("patients' drift will be recomputed in the background by the server");
    }
  }
} catch (error) {
  console.error(`\nimport failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await stopJobQueue();
  await db.$disconnect();
  await embedded?.stop();
}
