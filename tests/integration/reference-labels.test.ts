// Curating the reference library: an admin corrects a reference scan's class. The label, the embeddings' copy of it
// (which the class-filtered indexes use), the audit trail and the library stamp all follow, a drift refresh is queued,
// and a no-op or an unknown scan changes nothing.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { stopJobQueue } from "@/lib/jobs/boss";
import { importReferenceLibrary } from "@/lib/reference";
import { listReferences, relabelReference } from "@/lib/reference/labels";
import { referenceListQuery, relabelReferenceInput } from "@/lib/reference/schemas";
import { makeCorpusSubset, readCorpusTable, type CorpusSubset } from "@/tests/support/reference/corpus-subset";
import { registerModel } from "@/tests/support/reference/model";
import { DRIFT_QUEUE, driftQueue } from "@/lib/timeline/drift-queue";
import { libraryStamp } from "@/lib/timeline/library-stamp";
import { createTestDatabase, type TestDatabase } from "@/tests/support/test-database";

describe("reference library curation", () => {
  let t: TestDatabase;
  let dataDir: string;
  let corpus: CorpusSubset;
  let admin: ActionContext;

  beforeAll(async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-data-"));
    process.env.RADTRACK_DATA_DIR = dataDir;
    t = await createTestDatabase();
    const model = await registerModel(t.db);
    const table = await readCorpusTable();
    // Not pediatric (kept out of the library by default); Hannover films have no age group.
    const eligible = [...table.rows.keys()]
      .filter((id) => table.rows.get(id)![table.col("age_group")] !== "pediatric")
      .sort();
    const pick = (prefix: string, n: number) => eligible.filter((id) => id.startsWith(prefix)).slice(0, n);
    corpus = await makeCorpusSubset(table, { ids: [...pick("nih", 4), ...pick("mhh", 2)] });
    const imported = await importReferenceLibrary(t.db, corpus.dir, { model });
    expect(imported.imported).toBe(6);
    const u = await t.db.user.create({
      data: { email: "curator@example.test", name: "Curator", role: "admin", passwordHash: "-" },
    });
    admin = { actor: { id: u.id, email: u.email, name: u.name, role: "admin" }, ip: "198.51.100.7" };
  });

  afterAll(async () => {
    await stopJobQueue();
    await corpus?.remove();
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("changes the class, the embeddings' copy, the library stamp and the audit trail, and queues a refresh", async () => {
    const label = await t.db.referenceLabel.findFirstOrThrow({ where: { sourceId: { startsWith: "nih" } } });
    const target = label.class === "severe" ? "healthy" : "severe";
    const stampBefore = await libraryStamp(t.db);
    const boss = await driftQueue();
    const queuedBefore = await boss.getQueueSize(DRIFT_QUEUE);

    const result = await relabelReference(t.db, { scanId: label.scanId, class: target }, admin);

    expect(result).toEqual({ scanId: label.scanId, class: target, changed: true });
    expect((await t.db.referenceLabel.findUniqueOrThrow({ where: { scanId: label.scanId } })).class).toBe(target);
    const vectors = await t.db.embedding.findMany({ where: { scanId: label.scanId } });
    expect(vectors.length).toBeGreaterThan(0);
    for (const v of vectors) expect(v.referenceClass).toBe(target);
    expect(await libraryStamp(t.db)).not.toBe(stampBefore);
    const events = await t.db.auditEvent.findMany({
      where: { action: "reference.relabelled", targetId: label.scanId },
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorEmail: "curator@example.test", ip: "198.51.100.7", targetType: "scan" });
    expect(events[0]!.details).toMatchObject({ from: label.class, to: target, sourceId: label.sourceId });
    expect(await boss.getQueueSize(DRIFT_QUEUE)).toBe(Math.max(1, queuedBefore));
  });

  it("records nothing when the class is already the one asked for", async () => {
    const label = await t.db.referenceLabel.findFirstOrThrow({ where: { sourceId: { startsWith: "nih" } } });
    const audited = await t.db.auditEvent.count({ where: { action: "reference.relabelled" } });
    const stamp = await libraryStamp(t.db);
    const result = await relabelReference(t.db, { scanId: label.scanId, class: label.class }, admin);
    expect(result.changed).toBe(false);
    expect(await t.db.auditEvent.count({ where: { action: "reference.relabelled" } })).toBe(audited);
    expect(await libraryStamp(t.db)).toBe(stamp);
  });

  it("refuses a scan that is not in the library with a clear message, changing nothing", async () => {
    const stamp = await libraryStamp(t.db);
    await expect(
      relabelReference(t.db, { scanId: "00000000-0000-4000-8000-000000000000", class: "healthy" }, admin),
    ).rejects.toThrow(new UserFacingError("This scan is not in the reference library."));
    expect(await libraryStamp(t.db)).toBe(stamp);
  });

  it("validates the input: a uuid and one of the three classes", () => {
    const bad = relabelReferenceInput.safeParse({ scanId: "../etc/passwd", class: "pneumonia" });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => i.message);
    expect(messages).toContain("Unknown reference scan.");
    expect(messages).toContain("Choose healthy, infected or severe.");
  });

  it("lists the library with class, source and id filters and pages", async () => {
    const all = await listReferences(t.db, referenceListQuery.parse({}));
    expect(all.total).toBe(6);
    expect(all.sources.length).toBe(2);
    const oneSource = await listReferences(t.db, referenceListQuery.parse({ source: all.sources[0] }));
    expect(oneSource.rows.every((r) => r.source === all.sources[0])).toBe(true);
    const severe = await listReferences(t.db, referenceListQuery.parse({ class: "severe" }));
    expect(severe.rows.every((r) => r.class === "severe")).toBe(true);
    const byId = await listReferences(t.db, referenceListQuery.parse({ q: all.rows[0]!.sourceId.toUpperCase() }));
    expect(byId.rows.map((r) => r.scanId)).toContain(all.rows[0]!.scanId);
    // Nonsense query parameters fall back to the defaults instead of failing the page.
    expect(referenceListQuery.parse({ class: "purple", page: "-3" })).toEqual({ page: 1 });
    expect((await listReferences(t.db, referenceListQuery.parse({ page: "99" }))).page).toBe(1);
  });
});
