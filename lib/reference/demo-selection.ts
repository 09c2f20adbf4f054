// Which corpus persons become demo patients. One pure function decides it, and both the reference import (which
// must leave those films out of the library, or a demo patient would find its own films among its neighbours) and
// the demo seeding call it with the same metadata, so the two can never disagree.
import type { CorpusRow } from "./metadata";
import { personKeys } from "./persons";

export const DEFAULT_DEMO_PATIENTS = 12;

export interface DemoPatientPlan {
  /** 1-based rank: "Demo patient N". */
  rank: number;
  /** Person key (smallest linked patient id), e.g. `cohen:244`. */
  person: string;
  /** Every patient id filed for this person. */
  patientIds: string[];
  mrn: string;
  name: string;
  sex: "female" | "male" | "unknown";
  /** The dated films, oldest first: the ones ingested as this patient's scans. */
  scans: CorpusRow[];
  /** How often the severity class changes along `scans`. */
  classChanges: number;
}

export interface DemoSelection {
  patients: DemoPatientPlan[];
  /** Corpus ids of every film of the selected persons, dated or not: never part of the reference library. */
  reservedIds: Set<string>;
}

// Code-point order, not the locale's: the choice must not depend on the machine's language settings.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function mrnFor(person: string): string {
  const [source = "x", rest = ""] = person.split(":", 2);
  return `DEMO-${source}-${rest}`.toUpperCase().replace(/[^A-Z0-9-]/g, "-");
}

function sexOf(rows: readonly CorpusRow[]): DemoPatientPlan["sex"] {
  const values = new Set(rows.map((r) => r.sex.toUpperCase()).filter((s) => s === "M" || s === "F"));
  if (values.size !== 1) return "unknown";
  return values.has("F") ? "female" : "male";
}

function classChanges(scans: readonly CorpusRow[]): number {
  let changes = 0;
  for (let i = 1; i < scans.length; i++) if (scans[i]!.severity !== scans[i - 1]!.severity) changes++;
  return changes;
}

/**
 * Persons with two or more dated films (only Cohen and Hannover give day offsets), adults or of unknown age. Persons
 * whose severity class changes over time come first (they are what the drift view is for), then those with the most
 * dated films, then by person key, so the choice is the same on every machine.
 */
export function selectDemoPatients(
  rows: readonly CorpusRow[],
  maxPatients: number = DEFAULT_DEMO_PATIENTS,
): DemoSelection {
  const keys = personKeys(rows);
  const byPerson = new Map<string, CorpusRow[]>();
  for (const row of rows) {
    const person = keys.get(row.patientId);
    if (!person) continue;
    const list = byPerson.get(person) ?? [];
    list.push(row);
    byPerson.set(person, list);
  }
  const candidates: Omit<DemoPatientPlan, "rank" | "name">[] = [];
  for (const [person, all] of byPerson) {
    if (all.some((r) => r.ageGroup === "pediatric")) continue;
    const scans = all
      .filter((r) => r.offsetDays !== null)
      .sort((a, b) => a.offsetDays! - b.offsetDays! || compareText(a.id, b.id));
    if (scans.length < 2) continue;
    candidates.push({
      person,
      patientIds: [...new Set(all.map((r) => r.patientId))].sort(),
      mrn: mrnFor(person),
      sex: sexOf(all),
      scans,
      classChanges: classChanges(scans),
    });
  }
  candidates.sort(
    (a, b) =>
      Number(b.classChanges > 0) - Number(a.classChanges > 0) ||
      b.scans.length - a.scans.length ||
      compareText(a.person, b.person),
  );
  const patients = candidates
    .slice(0, Math.max(0, maxPatients))
    .map((c, i) => ({ ...c, rank: i + 1, name: `Demo patient ${i + 1}` }));
  const reservedIds = new Set<string>();
  for (const p of patients) for (const row of byPerson.get(p.person) ?? []) reservedIds.add(row.id);
  return { patients, reservedIds };
}
