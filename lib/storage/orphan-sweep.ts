// Files in the scan store that no row names: what a process killed between writing a scan's files and committing its
// row leaves behind (issue #11: 1 in 4 SIGKILLed uploads). Swept at server start and every hour. A folder is removed
// only when it is older than the grace period (an upload in flight writes its files before its row commits) and no
// scan row names it, checked again just before removal.
import type { Db } from "@/lib/db/client";
import { removeUnlessUsed } from "./content-lock";
import type { StoredEntry } from "./scan-store";

/** What the sweep needs from a store: a listing and a removal, so that any storage back-end can be swept. */
export interface SweepableStore {
  list(): AsyncIterable<StoredEntry>;
  remove(key: string): Promise<void>;
}

export const ORPHAN_GRACE_MS = 60 * 60_000;
export const SWEEP_INTERVAL_MS = 60 * 60_000;
const BATCH = 500;

export interface SweepResult {
  startedAt: string;
  seconds: number;
  /** Folders listed. */
  examined: number;
  /** Folders that no row names, old enough to go, removed. */
  removed: number;
  error?: string;
}

export async function sweepOrphans(
  db: Db,
  store: SweepableStore,
  options: { graceMs?: number; now?: () => number } = {},
): Promise<SweepResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const cutoff = started - (options.graceMs ?? ORPHAN_GRACE_MS);
  let examined = 0;
  let removed = 0;
  let batch: string[] = [];
  const flush = async () => {
    const keys = batch;
    batch = [];
    if (keys.length === 0) return;
    const named = await db.scan.findMany({ where: { storageKey: { in: keys } }, select: { storageKey: true } });
    const used = new Set(named.map((row) => row.storageKey));
    for (const key of keys) {
      if (used.has(key)) continue;
      // A re-upload of the same image may have committed a row naming this folder since the batch query, or be
      // recording one now: checked again under the key's lock (content-lock.ts).
      if (await removeUnlessUsed(db, store, key)) removed++;
    }
  };
  for await (const entry of store.list()) {
    examined++;
    if (entry.modifiedAt.getTime() > cutoff) continue;
    batch.push(entry.key);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return { startedAt: new Date(started).toISOString(), seconds: (now() - started) / 1000, examined, removed };
}

const KEY = Symbol.for("radtrack.storage.orphanSweep");
interface SweeperState {
  timer: NodeJS.Timeout;
  running: boolean;
  last: SweepResult | null;
  totalRemoved: number;
}
type Holder = typeof globalThis & { [KEY]?: SweeperState };

/** This process's sweeper, for the admin status page (the page and the sweeper share the process). */
export function orphanSweepState(): { started: boolean; last: SweepResult | null; totalRemoved: number } {
  const state = (globalThis as Holder)[KEY];
  return { started: Boolean(state), last: state?.last ?? null, totalRemoved: state?.totalRemoved ?? 0 };
}

/** Sweeps now and then every SWEEP_INTERVAL_MS, once per process. */
export function startOrphanSweeper(
  db: () => Db,
  store: SweepableStore,
  log: (line: string) => void = (line) => console.log(`[radtrack] ${line}`),
): void {
  const holder = globalThis as Holder;
  if (holder[KEY]) return;
  const run = async () => {
    const state = holder[KEY];
    if (!state || state.running) return;
    state.running = true;
    const started = Date.now();
    try {
      const result = await sweepOrphans(db(), store);
      state.totalRemoved += result.removed;
      state.last = result;
      if (result.removed > 0) log(`orphan sweep removed ${result.removed} of ${result.examined} stored folders`);
    } catch (error) {
      const message = (error as Error).message;
      state.last = {
        startedAt: new Date(started).toISOString(),
        seconds: (Date.now() - started) / 1000,
        examined: 0,
        removed: 0,
        error: message,
      };
      log(`orphan sweep failed (next try in an hour): ${message}`);
    } finally {
      state.running = false;
    }
  };
  const timer = setInterval(() => void run(), SWEEP_INTERVAL_MS);
  timer.unref();
  holder[KEY] = { timer, running: false, last: null, totalRemoved: 0 };
  void run();
}
