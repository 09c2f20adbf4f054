// What every benchmark records beside its numbers (the machine and how busy it was), and the atomic write of
// bench/results/<name>.json, so that an interrupted run never leaves half a file.
import { mkdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export function machine(): { cpuModel: string; cores: number; loadAverage1m: number } {
  return {
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
  };
}

/** The fields every in-process benchmark of the app starts its results with. */
export function resultHeader(benchmark: string, run: { database: string; model: string; provider: string }) {
  return { benchmark, date: new Date().toISOString(), machine: machine(), ...run };
}

export async function writeResultFile(file: string, result: object): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(result, null, 2) + "\n");
  await rename(`${file}.tmp`, file);
  return file;
}

export function writeResult(name: string, result: object): Promise<string> {
  return writeResultFile(`bench/results/${name}.json`, result);
}
