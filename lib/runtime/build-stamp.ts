// Decides whether `npm start` must run `next build` first: when there is no build, or when a source file changed
// since the last one (sizes and modification times of the app's sources, hashed).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";

const SOURCES = [
  "app",
  "lib",
  "components",
  "proxy.ts",
  "instrumentation.ts",
  "next.config.js",
  "package-lock.json",
  "tsconfig.json",
  "public",
];
const SKIP = new Set(["node_modules", ".next", ".data", "generated"]);

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  const full = path.join(root, rel);
  if (!existsSync(full)) return;
  const s = await stat(full);
  if (s.isFile()) {
    out.push(`${rel}:${s.size}:${Math.floor(s.mtimeMs)}`);
    return;
  }
  for (const entry of await readdir(full, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.endsWith(".test.ts")) continue;
    await walk(root, path.join(rel, entry.name), out);
  }
}

export async function sourceStamp(root: string): Promise<string> {
  const parts: string[] = [];
  for (const source of SOURCES) await walk(root, source, parts);
  return createHash("sha256").update(parts.sort().join("\n")).digest("hex");
}

const stampFile = (root: string) => path.join(root, ".next", "radtrack-source-stamp");

export async function buildIsCurrent(root: string): Promise<boolean> {
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) return false;
  try {
    return (await readFile(stampFile(root), "utf8")) === (await sourceStamp(root));
  } catch {
    return false;
  }
}

export async function recordBuild(root: string): Promise<void> {
  await writeFile(stampFile(root), await sourceStamp(root));
}
