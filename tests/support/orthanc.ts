// A throw-away Orthanc (Debian's orthanc + orthanc-dicomweb packages) for the integration tests: its own config JSON
// and storage in a temp dir, HTTP and DICOM on free loopback ports, a user for HTTP basic auth. It can be stopped and
// started again on the same storage, as a PACS that goes down mid-poll and comes back.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const PLUGIN_DIRS = ["/usr/share/orthanc/plugins", "/usr/lib/orthanc"];

export interface TestOrthanc {
  /** The DICOMweb root, e.g. http://127.0.0.1:PORT/dicom-web */
  dicomweb: string;
  rest: string;
  dicomPort: number;
  aet: string;
  username: string;
  password: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Sends files with DCMTK's storescu (C-STORE), proposing the JPEG baseline syntax img2dcm writes. */
  storescu(files: readonly string[], callingAet?: string): Promise<void>;
  /** Removes the storage folder (after stop). */
  remove(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function dicomwebPlugin(): string {
  for (const dir of PLUGIN_DIRS) {
    const file = path.join(dir, "libOrthancDicomWeb.so");
    if (existsSync(file)) return file;
  }
  throw new Error(
    "Orthanc's DICOMweb plugin was not found (Debian: apt-get install orthanc orthanc-dicomweb); these tests need it " +
      "and never skip.",
  );
}

export async function startOrthanc(): Promise<TestOrthanc> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-orthanc-"));
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const username = "radtrack";
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const configFile = path.join(dir, "orthanc.json");
  await writeFile(
    configFile,
    JSON.stringify({
      Name: "radtrack-test",
      StorageDirectory: path.join(dir, "storage"),
      IndexDirectory: path.join(dir, "storage"),
      HttpPort: httpPort,
      DicomPort: dicomPort,
      DicomAet: "ORTHANC",
      RemoteAccessAllowed: false,
      AuthenticationEnabled: true,
      RegisteredUsers: { [username]: password },
      Plugins: [dicomwebPlugin()],
      DicomWeb: { Enable: true, Root: "/dicom-web/" },
      DicomAlwaysAllowStore: true,
      DicomCheckCalledAet: false,
      StableAge: 1,
      HttpTimeout: 30,
    }),
  );
  const rest = `http://127.0.0.1:${httpPort}`;
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  let child: ChildProcess | null = null;

  const start = async () => {
    if (!existsSync("/usr/sbin/Orthanc") && !existsSync("/usr/bin/Orthanc")) {
      throw new Error("Orthanc is not installed (Debian: apt-get install orthanc orthanc-dicomweb)");
    }
    const binary = existsSync("/usr/sbin/Orthanc") ? "/usr/sbin/Orthanc" : "/usr/bin/Orthanc";
    const proc = spawn(binary, [configFile], { stdio: ["ignore", "ignore", "pipe"] });
    child = proc;
    let stderr = "";
    proc.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    for (let i = 0; i < 200; i++) {
      if (proc.exitCode !== null) throw new Error(`Orthanc exited (${proc.exitCode}): ${stderr}`);
      try {
        const r = await fetch(`${rest}/dicom-web/studies`, { headers: { authorization: auth } });
        if (r.ok || r.status === 204) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`Orthanc did not answer on ${rest}: ${stderr}`);
  };

  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    dicomweb: `${rest}/dicom-web`,
    rest,
    dicomPort,
    aet: "ORTHANC",
    username,
    password,
    start,
    stop,
    async storescu(files, callingAet = "MODALITY1") {
      try {
        await run(
          "storescu",
          ["-xy", "-aet", callingAet, "-aec", "ORTHANC", "127.0.0.1", String(dicomPort), ...files],
          {
            timeout: 60_000,
          },
        );
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === "ENOENT") throw new Error("DCMTK's storescu was not found (apt-get install dcmtk)");
        throw new Error(`storescu failed: ${e.stderr || e.message}`);
      }
    },
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
