import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { ModelChecksumError } from "./errors";

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  // Streamed: model files can be hundreds of MB and this runs in the server process.
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function verifySha256(file: string, expected: string): Promise<void> {
  const actual = await sha256File(file);
  if (actual !== expected.toLowerCase()) throw new ModelChecksumError(file, expected, actual);
}
