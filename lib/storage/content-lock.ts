// Stored files are shared by content (scan-store.ts): one folder serves every scan of the same image. Removing a
// folder (a purge, a failed upload's clean-up, the orphan sweep) and recording a row that names it (an upload that
// found the files already there) must not interleave, or the row would name files that were just removed. Both hold
// a transaction-scoped advisory lock per storage key: the remover checks that no row names the key and removes it
// under the lock; the recorder checks that the files are still there (and writes them again if not) under the lock,
// and keeps it until its row commits.
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";

/** Locks these storage keys until the transaction ends, in key order (two batches never wait on each other). */
export async function lockContent(tx: Prisma.TransactionClient, keys: readonly string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  await tx.$queryRaw`
    SELECT count(*)::int AS n FROM (
      SELECT pg_advisory_xact_lock(hashtextextended('radtrack.scan-files:' || s.k, 0))
      FROM (SELECT k FROM unnest(${sorted}::text[]) AS k ORDER BY k) s
    ) locked`;
}

const REMOVE_TX = { maxWait: 30_000, timeout: 60_000 };

/**
 * Removes a key's files unless a scan row names them, under the key's lock. Returns whether it removed them.
 * `remove` is the store's removal (a folder or a bucket).
 */
export async function removeUnlessUsed(
  db: Db,
  store: { remove(key: string): Promise<void> },
  key: string,
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    await lockContent(tx, [key]);
    if (await tx.scan.findFirst({ where: { storageKey: key }, select: { id: true } })) return false;
    await store.remove(key);
    return true;
  }, REMOVE_TX);
}
