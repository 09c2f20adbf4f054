// The embedded PGlite database must never be opened by two processes at once: PGlite takes no lock of its own, and a
// second opener would corrupt the data directory that `npm start` is serving. A running instance leaves
// postmaster.pid in the folder and holds its files open; a crash leaves only the pid file (safe to reopen).
import { existsSync } from "node:fs";
import { readdir, readlink } from "node:fs/promises";
import path from "node:path";

export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

/** Process ids (other than ours) holding a file under `dir` open; null where /proc cannot tell (non-Linux). */
async function processesUsing(dir: string): Promise<number[] | null> {
  if (!existsSync("/proc/self/fd")) return null;
  const prefix = path.resolve(dir) + path.sep;
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's process
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      if (target.startsWith(prefix)) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

export async function assertEmbeddedDatabaseFree(dataDir: string, alternative: string): Promise<void> {
  const dbDir = path.join(dataDir, "pglite");
  if (!existsSync(path.join(dbDir, "postmaster.pid"))) return;
  const users = await processesUsing(dbDir);
  if (users && users.length === 0) return; // left behind by a crash: nothing is using the folder
  throw new DataDirInUseError(
    `The embedded database in ${dbDir} is in use` +
      (users ? ` (process ${users.join(", ")}, probably \`npm start\`)` : " (or Radtrack did not shut down cleanly)") +
      `. It cannot be opened by two programs at once. Stop Radtrack first, or ${alternative}.`,
  );
}
