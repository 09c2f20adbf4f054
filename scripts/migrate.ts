// `npm run migrate`: apply pending migrations to DATABASE_URL, or to the embedded database of RADTRACK_DATA_DIR.
import { loadConfig } from "@/lib/config";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { migrate } from "@/lib/db/migrate";
import { roleOf } from "@/lib/db/roles";

const cfg = loadConfig();
const embedded = cfg.databaseUrl ? undefined : await startEmbeddedDatabase({ dataDir: cfg.dataDir });
try {
  const appUrl = cfg.databaseUrl ?? embedded!.url;
  const result = await migrate(cfg.migrationDatabaseUrl ?? appUrl, {
    log: (l) => console.log(l),
    appRole: cfg.migrationDatabaseUrl ? roleOf(appUrl) : null,
  });
  console.log(`${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
  for (const name of result.modified) console.warn(`warning: applied migration ${name} was edited since`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await embedded?.stop();
}
