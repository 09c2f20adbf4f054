// Starts tests/support/s3-server-main.ts as a child process and gives the settings that point Radtrack at it.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** The variables a Radtrack process needs to use this server, with `prefix` inside the bucket. */
  env(prefix: string): Record<string, string>;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function startS3Server(bucket = "radtrack-test"): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "radtrack-s3-"));
  const child = spawn(
    process.execPath,
    ["--import", require.resolve("tsx"), path.join(import.meta.dirname, "s3-server-main.ts"), directory, bucket],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => {
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new Error(`the S3 server said: ${line}`));
      }
    });
    child.once("exit", (code) => reject(new Error(`the S3 server exited (${code}) before listening`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix) => ({
      RADTRACK_STORAGE: `s3://${bucket}/${prefix}`,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      // s3rver's fixed credentials.
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      RADTRACK_S3_FORCE_PATH_STYLE: "1",
      RADTRACK_S3_SSE: "AES256",
    }),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.stdin!.end();
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
