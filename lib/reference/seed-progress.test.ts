import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { etaText, phaseTracker, readSeedProgress, SEED_PROGRESS_FILE, writeSeedProgress } from "./seed-progress";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("seed progress", () => {
  it("measures the rate from what this run did and gives the time left", () => {
    let t = 1_000_000;
    const track = phaseTracker("reference", () => t);
    expect(track(40, 140)).toMatchObject({ done: 40, total: 140, etaSeconds: null });
    t += 10_000;
    // 20 films in 10 s: 80 left at 2 per second.
    expect(track(60, 140).etaSeconds).toBeCloseTo(40);
    expect(track(140, 140).etaSeconds).toBe(0);
  });

  it("round-trips through the data directory and ignores a damaged file", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "seed-progress-"));
    dirs.push(dir);
    expect(await readSeedProgress(dir)).toBeNull();
    const p = phaseTracker("demo")(3, 10);
    await writeSeedProgress(dir, p);
    expect(await readSeedProgress(dir)).toEqual(p);
    expect(JSON.parse(await readFile(path.join(dir, SEED_PROGRESS_FILE), "utf8")).phase).toBe("demo");
    await writeFile(path.join(dir, SEED_PROGRESS_FILE), "{not json");
    expect(await readSeedProgress(dir)).toBeNull();
  });

  it("says the time left in words", () => {
    expect(etaText(null)).toBe("");
    expect(etaText(12)).toBe("less than a minute left");
    expect(etaText(200)).toBe("about 3 min left");
  });
});
