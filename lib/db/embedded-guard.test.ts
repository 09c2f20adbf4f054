import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertEmbeddedDatabaseFree, DataDirInUseError } from "@/lib/db/embedded-guard";

describe("assertEmbeddedDatabaseFree", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-guard-"));
    await mkdir(path.join(dataDir, "pglite"));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("lets a never-started or cleanly stopped database be opened", async () => {
    await expect(assertEmbeddedDatabaseFree(dataDir, "use the admin page")).resolves.toBeUndefined();
  });

  it("lets a database be opened after a crash (pid file left, no process holds the files)", async () => {
    await writeFile(path.join(dataDir, "pglite", "postmaster.pid"), "-42\n/pglite/data\n");
    await expect(assertEmbeddedDatabaseFree(dataDir, "use the admin page")).resolves.toBeUndefined();
  });

  it.runIf(process.platform === "linux")("refuses while another process holds the database's files open", async () => {
    const file = path.join(dataDir, "pglite", "PG_VERSION");
    await writeFile(file, "18\n");
    const holder = spawn(
      process.execPath,
      ["-e", "require('fs').openSync(process.argv[1], 'r'); console.log('ready'); setTimeout(() => {}, 30000)", file],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.once("data", () => resolve()));
      const refusal = assertEmbeddedDatabaseFree(dataDir, "use the admin page");
      await expect(refusal).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(refusal).rejects.toThrow(
        new RegExp(`in use \\(process ${holder.pid}.*Stop Radtrack first, or use the admin page`),
      );
    } finally {
      holder.kill();
    }
  });
});
