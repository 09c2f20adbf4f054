// The data directory holds the database, every stored scan and the generated secrets: only the account that runs
// Radtrack may read it. PGlite and the scan store create files with the process's umask (0666 & ~umask), so the
// umask is narrowed for this process and its children, and whatever an older version or a wide umask left behind is
// tightened once.
import { chmod, lstat, mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** Written after a full pass, so that later starts do not walk every stored scan again. */
const MARKER = ".permissions-v1";

export async function secureDataDir(dataDir: string): Promise<void> {
  process.umask(0o077);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const marker = path.join(dataDir, MARKER);
  if (
    await lstat(marker).then(
      () => true,
      () => false,
    )
  )
    return;
  await tighten(dataDir);
  await writeFile(marker, "files under this folder were made private (0700 / 0600)\n", { mode: 0o600 });
}

/**
 * Makes every file and folder under `dir` private. PGlite's file system layer creates its files 0666 whatever the
 * umask (measured: 969 of 1,102 files), so the embedded database calls this when it opens and when it stops; in
 * between, the 0700 folders above those files keep other accounts out.
 */
export async function tighten(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    // Symbolic links are left alone: chmod would follow them out of the data directory.
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      await chmod(full, 0o700);
      await tighten(full);
    } else if (entry.isFile()) {
      const { mode } = await lstat(full);
      if (mode & 0o077) await chmod(full, mode & 0o700);
    }
  }
}
