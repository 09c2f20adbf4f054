// The neighbours of a scan and their reciprocal ranks, kept in this process for the next view of the same scan. The
// answer depends only on the key: the scan's vector (fixed per model), the reference library (its stamp changes with
// any import, removal or relabel), k, the class filter and which reference films are the patient's own (excluded by
// content). So a hit is the answer the database would give, without the HNSW search and the k x library distances of
// the ranks, the two costliest statements of a timeline page (docs/benchmarks.md, soak).
import { createHash } from "node:crypto";
import type { NeighbourRow, ReciprocalRank } from "@/lib/db/vector-sql";

export interface CachedAnswer {
  rows: NeighbourRow[];
  ranks: ReciprocalRank[];
}

export interface AnswerKey {
  modelId: string;
  libraryStamp: string;
  scanId: string;
  k: number;
  classes?: readonly string[];
  /** Content hashes excluded as the patient's own films (ownFilmsInLibrary: those that are reference films). */
  ownSha256: readonly string[];
}

export function answerKey(key: AnswerKey): string {
  const own = createHash("sha256")
    .update([...key.ownSha256].sort().join(","))
    .digest("base64url");
  const classes = key.classes ? [...key.classes].sort().join(",") : "*";
  return [key.modelId, key.libraryStamp, key.scanId, key.k, classes, own].join("|");
}

/** A least-recently-used map: a Map keeps insertion order, so a hit is moved to the end and the oldest goes first. */
export class AnswerCache {
  private readonly entries = new Map<string, CachedAnswer>();
  constructor(readonly capacity: number) {}

  get(key: string): CachedAnswer | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, answer: CachedAnswer): void {
    this.entries.delete(key);
    this.entries.set(key, answer);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

// On globalThis: pages and route handlers are bundled apart but run in one process. About 10 kB an entry.
const KEY = Symbol.for("radtrack.neighbours.answerCache");
type Holder = typeof globalThis & { [KEY]?: AnswerCache };

export function answerCache(): AnswerCache {
  return ((globalThis as Holder)[KEY] ??= new AnswerCache(500));
}
