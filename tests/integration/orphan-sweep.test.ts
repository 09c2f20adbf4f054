// Issue #11, item 4: files under the store that no row names and older than the grace period are removed; a file a
// row names never is, however old, and a fresh folder (an upload in flight) is left alone.
import { createHash } from "node:crypto";
import { mkdtemp, rm, utimes, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORPHAN_GRACE_MS, sweepOrphans } from "@/lib/storage/orphan-sweep";
import { ScanStore } from "@/lib/storage/scan-store";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("orphan sweep", () => {
  let t: TestDatabase;
  let dir: string;
  let store: ScanStore;

  async function put(text: string, ageMs: number): Promise<string> {
    const bytes = Buffer.from(text);
    const { key } = await store.put(sha(text), { original: bytes, preview: bytes, thumbnail: bytes });
    const when = new Date(Date.now() - ageMs);
    const folder = path.join(dir, "scans", key);
    for (const file of await readdir(folder)) await utimes(path.join(folder, file), when, when);
    await utimes(folder, when, when);
    return key;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), "radtrack-sweep-"));
    store = ScanStore.forDataDir(dir);
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("removes old unnamed folders only, and never one a row names", async () => {
    const day = 24 * 3600_000;
    const patient = await t.db.patient.create({ data: { mrn: "SWEEP-1", name: "Sweep Test", sex: "unknown" } });
    const namedPatient = await put("patient film", 30 * day);
    const namedReference = await put("reference film", 30 * day);
    const orphan = await put("killed upload", ORPHAN_GRACE_MS + 60_000);
    const inFlight = await put("upload in flight", 5_000);
    const row = (key: string, text: string) => ({
      sha256: sha(text),
      storageKey: key,
      width: 8,
      height: 8,
    });
    await t.db.scan.create({ data: { ...row(namedPatient, "patient film"), patientId: patient.id, origin: "upload" } });
    await t.db.scan.create({ data: { ...row(namedReference, "reference film"), origin: "reference" } });

    const result = await sweepOrphans(t.db, store);
    expect(result).toMatchObject({ examined: 4, removed: 1 });
    expect(await store.exists(orphan)).toBe(false);
    for (const key of [namedPatient, namedReference, inFlight]) expect(await store.exists(key)).toBe(true);

    // A second sweep finds nothing more to do; once the grace period has passed the in-flight folder goes too.
    expect(await sweepOrphans(t.db, store)).toMatchObject({ examined: 3, removed: 0 });
    const later = await sweepOrphans(t.db, store, { now: () => Date.now() + ORPHAN_GRACE_MS });
    expect(later).toMatchObject({ examined: 3, removed: 1 });
    expect(await store.exists(inFlight)).toBe(false);
    expect(await store.exists(namedPatient)).toBe(true);
  });

  it("lists nothing that is not laid out as a storage key", async () => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    await mkdir(path.join(dir, "scans", "zz"), { recursive: true });
    await writeFile(path.join(dir, "scans", "zz", "notes.txt"), "keep me");
    await writeFile(path.join(dir, "scans", "README"), "keep me");
    const listed: string[] = [];
    for await (const entry of store.list()) listed.push(entry.key);
    expect(listed.every((key) => /^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(key))).toBe(true);
    await sweepOrphans(t.db, store, { graceMs: 0 });
    expect(await readdir(path.join(dir, "scans", "zz"))).toEqual(["notes.txt"]);
  });
});
