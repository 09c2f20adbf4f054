import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** A random secret generated once and kept (mode 0600) in `<dataDir>/<name>`. */
export async function ensureSecretFile(dataDir: string, name: string): Promise<string> {
  const file = path.join(dataDir, name);
  try {
    const existing = (await readFile(file, "utf8")).trim();
    if (existing.length >= 32) return existing;
  } catch {
    // first start: generated below
  }
  const secret = randomBytes(32).toString("base64url");
  await writeFile(file, secret + "\n", { mode: 0o600 });
  return secret;
}

/** AUTH_SECRET from the environment, or one generated once and kept in the data directory. */
export async function ensureAuthSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  return ensureSecretFile(dataDir, "auth-secret");
}
