// Issue #11, item 1: the embedded database refuses connections without its password, and the data directory is
// private to the account running Radtrack whatever the umask.
import { execFile } from "node:child_process";
import { chmod, lstat, mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_DB_PASSWORD_FILE, startEmbeddedDatabase, type EmbeddedDatabase } from "@/lib/db/embedded";

const run = promisify(execFile);

async function connectError(url: string): Promise<{ code?: string; message: string } | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return error as { code?: string; message: string };
  } finally {
    await client.end().catch(() => {});
  }
}

async function walk(dir: string): Promise<{ file: string; mode: number; dir: boolean }[]> {
  const out: { file: string; mode: number; dir: boolean }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const { mode } = await lstat(full);
    out.push({ file: full, mode: mode & 0o777, dir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...(await walk(full)));
  }
  return out;
}

describe("embedded database access", () => {
  let embedded: EmbeddedDatabase;
  beforeAll(async () => {
    embedded = await startEmbeddedDatabase({ dataDir: null });
  });
  afterAll(() => embedded.stop());

  it("serves a client that has the password", async () => {
    expect(await connectError(embedded.url)).toBeNull();
  });

  it("refuses a connection without the password, with a wrong one, or as another user", async () => {
    const u = new URL(embedded.url);
    const variants = [
      Object.assign(new URL(u), { password: "" }),
      Object.assign(new URL(u), { password: "postgres" }),
      Object.assign(new URL(u), { username: "postgres", password: "postgres" }),
      Object.assign(new URL(u), { username: "postgres" }),
    ];
    for (const url of variants) {
      const error = await connectError(url.toString());
      expect(error, url.username).not.toBeNull();
      // Without a password pg refuses to answer the challenge itself; with a wrong one the server says 28P01.
      if (url.password) expect(error?.code).toBe("28P01");
    }
    // The server still serves the right password afterwards.
    expect(await connectError(embedded.url)).toBeNull();
  });

  it("refuses a raw startup message that skips authentication", async () => {
    const { Socket } = await import("node:net");
    const u = new URL(embedded.url);
    const socket = new Socket();
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("error", reject);
      socket.on("close", () => resolve(Buffer.concat(chunks)));
      socket.connect(Number(u.port), u.hostname, () => {
        const params = Buffer.from("user\0postgres\0database\0postgres\0\0", "utf8");
        const startup = Buffer.alloc(8 + params.length);
        startup.writeInt32BE(startup.length, 0);
        startup.writeInt32BE(196608, 4);
        params.copy(startup, 8);
        socket.write(startup);
        // A client that ignores the challenge and sends a query straight away.
        const sql = Buffer.from("SELECT email FROM users\0", "utf8");
        const query = Buffer.alloc(5 + sql.length);
        query.write("Q", 0);
        query.writeInt32BE(4 + sql.length, 1);
        sql.copy(query, 5);
        socket.write(query);
      });
    });
    // AuthenticationSASL (R, code 10), then an error and the connection closed: never a row description (T).
    expect(reply[0]).toBe("R".charCodeAt(0));
    expect(reply.readInt32BE(5)).toBe(10);
    expect(reply.includes(Buffer.from("T"), 9) && reply.includes(Buffer.from("email"))).toBe(false);
  });
});

describe("embedded data directory permissions", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "radtrack-perm-"));
    // What an older version under a wide umask left behind.
    await mkdir(path.join(dataDir, "scans", "ab"), { recursive: true });
    await chmod(path.join(dataDir, "scans", "ab"), 0o777);
    await writeFile(path.join(dataDir, "scans", "ab", "left-over"), "x");
    await chmod(path.join(dataDir, "scans", "ab", "left-over"), 0o666);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("keeps everything 0700 / 0600 under umask 000, database and scans included", { timeout: 120_000 }, async () => {
    const script = path.resolve("tests/support/store-under-umask.ts");
    await run("sh", ["-c", 'umask 000 && exec "$0" --import tsx "$1" "$2"', process.execPath, script, dataDir], {
      cwd: process.cwd(),
    });
    const entries = await walk(dataDir);
    expect(entries.filter((e) => e.file.includes(`${path.sep}pglite${path.sep}`)).length).toBeGreaterThan(100);
    expect(entries.some((e) => e.file.endsWith(`${path.sep}thumb.jpg`))).toBe(true);
    const open = entries.filter((e) => e.mode & 0o077).map((e) => `${e.mode.toString(8)} ${e.file}`);
    expect(open).toEqual([]);
    expect((await lstat(dataDir)).mode & 0o777).toBe(0o700);
    const password = path.join(dataDir, EMBEDDED_DB_PASSWORD_FILE);
    expect((await lstat(password)).mode & 0o777).toBe(0o600);
    expect((await readFile(password, "utf8")).trim().length).toBeGreaterThanOrEqual(32);
  });
});
