// The corpus the end-to-end server sees: a deterministic subset of the real corpus (all three classes, a few
// patients with dated films for demo data), small enough to import in seconds, and one corpus patient with three
// dated films kept out of it so that a spec can upload them as a new patient's scans.
import path from "node:path";
import { readCorpusTable, type CorpusTable } from "@/tests/support/reference/corpus-subset";

export interface TimelinePatient {
  patientId: string;
  /** Three films in date order, with their acquisition dates (a fixed base date plus the corpus offset). */
  films: { id: string; date: string }[];
}

const BASE = Date.UTC(2026, 0, 5);

function datedFilms(table: CorpusTable) {
  const [pid, off, sev] = [table.col("patient_id"), table.col("offset_days"), table.col("severity")];
  const byPatient = new Map<string, { id: string; offset: number }[]>();
  for (const [id, f] of table.rows) {
    if (f[off] === "" || f[sev] === "") continue;
    const list = byPatient.get(f[pid]!) ?? [];
    list.push({ id, offset: Number(f[off]) });
    byPatient.set(f[pid]!, list);
  }
  return byPatient;
}

export function pickTimelinePatient(table: CorpusTable): TimelinePatient {
  const candidates = [...datedFilms(table)]
    .map(([patientId, films]) => ({
      patientId,
      films: films.sort((a, b) => a.offset - b.offset || a.id.localeCompare(b.id)),
    }))
    .filter((p) => new Set(p.films.map((f) => f.offset)).size >= 3)
    .sort((a, b) => a.patientId.localeCompare(b.patientId));
  const chosen = candidates[0];
  if (!chosen) throw new Error("the corpus has no patient with three dated films");
  const distinct = chosen.films.filter((f, i, all) => all.findIndex((g) => g.offset === f.offset) === i).slice(0, 3);
  return {
    patientId: chosen.patientId,
    films: distinct.map((f) => ({ id: f.id, date: new Date(BASE + f.offset * 86_400_000).toISOString().slice(0, 10) })),
  };
}

/** Ids of the subset: up to `perClass` adult films of each class (spread over sources) plus 3 demo patients. */
export function e2eSubsetIds(table: CorpusTable, exclude: TimelinePatient, perClass = 45): string[] {
  const [pid, sev, age, src] = [
    table.col("patient_id"),
    table.col("severity"),
    table.col("age_group"),
    table.col("source"),
  ];
  const ids: string[] = [];
  for (const cls of ["healthy", "infected", "severe"]) {
    const bySource = new Map<string, string[]>();
    for (const [id, f] of table.rows) {
      if (f[sev] !== cls || f[age] === "pediatric" || f[pid] === exclude.patientId) continue;
      bySource.set(f[src]!, [...(bySource.get(f[src]!) ?? []), id]);
    }
    const queues = [...bySource.values()].map((q) => q.sort());
    // Round-robin over sources, so that no class is one hospital's look.
    for (let i = 0; ids.length < perClass * (["healthy", "infected", "severe"].indexOf(cls) + 1); i++) {
      const queue = queues[i % queues.length];
      if (!queues.some((q) => q.length)) break;
      const next = queue?.shift();
      if (next && !ids.includes(next)) ids.push(next);
    }
  }
  const dated = [...datedFilms(table)]
    .filter(([patientId, films]) => patientId !== exclude.patientId && films.length >= 2)
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 3);
  for (const [, films] of dated) for (const f of films) if (!ids.includes(f.id)) ids.push(f.id);
  return ids;
}

export async function e2eCorpus() {
  const table = await readCorpusTable();
  const timeline = pickTimelinePatient(table);
  return { table, timeline, subset: e2eSubsetIds(table, timeline) };
}

export function corpusImage(id: string, corpusDir: string): string {
  return path.join(corpusDir, `${id}.jpg`);
}
