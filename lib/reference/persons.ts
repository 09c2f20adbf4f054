// One person can be filed under two patient ids (a case published on two web sites, or in both the Cohen and the
// Hannover collections); the corpus says so in `notes` ("same person ... also filed as mhh:042f06a9"). Anything that
// keeps a person's films apart (demo patients vs. the reference library) must work on persons, not patient ids.
import type { CorpusRow } from "./metadata";

const ALSO_FILED = /also filed as ((?:cohen|mhh|nih|ped):[0-9A-Za-z]+)/g;

/** Maps every patient id of the rows to a person key: the smallest linked patient id, so it is deterministic. */
export function personKeys(rows: readonly CorpusRow[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    // Path compression keeps later look-ups flat.
    let node = x;
    while (node !== root) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const add = (x: string) => {
    if (!parent.has(x)) parent.set(x, x);
  };
  const union = (a: string, b: string) => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return;
    // The smaller id becomes the root, so the key does not depend on row order.
    if (ra < rb) parent.set(rb, ra);
    else parent.set(ra, rb);
  };
  for (const row of rows) {
    if (!row.patientId) continue;
    add(row.patientId);
    for (const match of row.notes.matchAll(ALSO_FILED)) {
      add(match[1]!);
      union(row.patientId, match[1]!);
    }
  }
  const keys = new Map<string, string>();
  for (const id of parent.keys()) keys.set(id, find(id));
  return keys;
}
