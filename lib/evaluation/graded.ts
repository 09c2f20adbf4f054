// Graded severity on the readers' scale (issue #10): the estimate against the two readers' mean geographic extent,
// the neighbours' own expert extent, direction of change between consecutive films, and the readers against each
// other (the human ceiling). Intervals are 95% percentile bootstraps over patients (seeded, so a rerun gives the
// same report). Pure: rows and numbers in, numbers out.
import type { EvalRow } from "./corpus";
import { mean, pearson, ranks } from "./metrics";
import { seededRandom } from "@/lib/seeded-random";

export interface GradedInput {
  queries: readonly EvalRow[];
  /** The model's extent estimate per query (0-8), same order as `queries`; null where there is none. */
  estimate: readonly (number | null)[];
  /** Mean expert extent of each query's k nearest scored reference films; null without scored neighbours. */
  neighbourExtent: readonly (number | null)[];
  /** Top-k cosine similarities of each query (any reference film), most similar first. */
  topSimilarities: readonly (readonly number[])[];
  bootstrap?: number;
  seed?: number;
}

export interface Ci {
  value: number | null;
  ci95: [number, number] | null;
}

export interface GradedReport {
  severity: {
    extent: {
      definition: string;
      films: number;
      pearson: number | null;
      spearman: number | null;
      mae: number | null;
      ci95: { pearson: [number, number] | null; spearman: [number, number] | null; mae: [number, number] | null };
    };
    neighbours: {
      definition: string;
      films: number;
      pearson: number | null;
      ci95: [number, number] | null;
      top36SimilarityMean: number | null;
      top36SimilaritySpread: number | null;
    };
  };
  drift: {
    definition: string;
    pairs: number;
    directionAgreement: number | null;
    deltaSpearman: number | null;
    ci95: { directionAgreement: [number, number] | null };
    patients: number;
  };
  readers: { definition: string; films: number; pearson: number | null; mae: number | null };
}

/** The readers' mean when both are there, else the folder's geographic_mean. */
export function expertExtent(r: EvalRow): number | null {
  if (r.reader1Geographic !== null && r.reader2Geographic !== null)
    return (r.reader1Geographic + r.reader2Geographic) / 2;
  return r.geographicMean;
}

function spearman(x: readonly number[], y: readonly number[]): number {
  return pearson(ranks(x), ranks(y));
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** 95% percentile interval of `stat` over patient resamples; groups are lists of item indices. */
function bootstrap(
  groups: readonly (readonly number[])[],
  stat: (items: number[]) => number,
  n: number,
  seed: number,
): [number, number] | null {
  if (groups.length < 2) return null;
  const next = seededRandom(seed);
  const values: number[] = [];
  for (let b = 0; b < n; b++) {
    const items: number[] = [];
    for (let g = 0; g < groups.length; g++) items.push(...groups[Math.floor(next() * groups.length)]!);
    const v = stat(items);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length < n / 2) return null;
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.round(q * (values.length - 1))))]!;
  return [at(0.025), at(0.975)];
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): number[][] {
  const map = new Map<string, number[]>();
  items.forEach((item, i) => {
    const k = key(item);
    const list = map.get(k) ?? [];
    list.push(i);
    map.set(k, list);
  });
  return [...map.values()];
}

function timeOf(r: EvalRow): number | null {
  if (r.examTime) {
    const t = Date.parse(r.examTime);
    if (Number.isFinite(t)) return t;
  }
  return r.offsetDays === null ? null : r.offsetDays * 86_400_000;
}

export function gradedReport(input: GradedInput): GradedReport {
  const n = input.bootstrap ?? 1000;
  const seed = input.seed ?? 7;
  const truth = input.queries.map(expertExtent);

  // Extent against the readers.
  const scored = input.queries.flatMap((r, i) =>
    truth[i] !== null && input.estimate[i] !== null ? [{ r, t: truth[i]!, e: input.estimate[i]! }] : [],
  );
  const groups = groupBy(scored, (s) => s.r.patientId);
  const pick = (items: number[]) => ({ t: items.map((i) => scored[i]!.t), e: items.map((i) => scored[i]!.e) });
  const mae = (items: number[]) => {
    const { t, e } = pick(items);
    return mean(t.map((v, k) => Math.abs(v - e[k]!)));
  };
  const all = scored.map((_, i) => i);

  // Neighbours' expert extent.
  const nb = input.queries.flatMap((r, i) =>
    truth[i] !== null && input.neighbourExtent[i] !== null ? [{ r, t: truth[i]!, e: input.neighbourExtent[i]! }] : [],
  );
  const nbGroups = groupBy(nb, (s) => s.r.patientId);
  const tops = input.topSimilarities.filter((t) => t.length > 0);

  // Consecutive films of one patient whose expert extent moved by a point or more.
  const byPatient = new Map<string, number[]>();
  input.queries.forEach((r, i) => {
    if (truth[i] === null || input.estimate[i] === null || timeOf(r) === null) return;
    const list = byPatient.get(r.patientId) ?? [];
    list.push(i);
    byPatient.set(r.patientId, list);
  });
  const pairs: { patient: string; dt: number; de: number }[] = [];
  for (const [patient, films] of byPatient) {
    films.sort((a, b) => timeOf(input.queries[a]!)! - timeOf(input.queries[b]!)!);
    for (let k = 1; k < films.length; k++) {
      const a = films[k - 1]!;
      const b = films[k]!;
      const dt = truth[b]! - truth[a]!;
      if (Math.abs(dt) >= 1) pairs.push({ patient, dt, de: input.estimate[b]! - input.estimate[a]! });
    }
  }
  const agreeOf = (items: number[]) =>
    mean(items.map((i) => (Math.sign(pairs[i]!.de) === Math.sign(pairs[i]!.dt) ? 1 : 0)));
  const pairGroups = groupBy(pairs, (p) => p.patient);

  // Reader against reader.
  const both = input.queries.filter((r) => r.reader1Geographic !== null && r.reader2Geographic !== null);
  const r1 = both.map((r) => r.reader1Geographic!);
  const r2 = both.map((r) => r.reader2Geographic!);

  return {
    severity: {
      extent: {
        definition:
          "the model's extent estimate (0-8) against the readers' mean geographic extent (geographic_mean when a folder has no reader columns), one value per query film",
        films: scored.length,
        pearson: finite(pearson(pick(all).e, pick(all).t)),
        spearman: finite(spearman(pick(all).e, pick(all).t)),
        mae: finite(mae(all)),
        ci95: {
          pearson: bootstrap(groups, (items) => pearson(pick(items).e, pick(items).t), n, seed),
          spearman: bootstrap(groups, (items) => spearman(pick(items).e, pick(items).t), n, seed + 1),
          mae: bootstrap(groups, mae, n, seed + 2),
        },
      },
      neighbours: {
        definition:
          "Pearson between each scored query's expert extent and the mean expert extent of its k nearest scored reference films",
        films: nb.length,
        pearson: finite(
          pearson(
            nb.map((s) => s.e),
            nb.map((s) => s.t),
          ),
        ),
        ci95: bootstrap(
          nbGroups,
          (items) =>
            pearson(
              items.map((i) => nb[i]!.e),
              items.map((i) => nb[i]!.t),
            ),
          n,
          seed + 3,
        ),
        top36SimilarityMean: tops.length ? finite(mean(tops.map((t) => mean([...t])))) : null,
        top36SimilaritySpread: tops.length ? finite(mean(tops.map((t) => t[0]! - t[t.length - 1]!))) : null,
      },
    },
    drift: {
      definition:
        "consecutive films of one patient (by exam time) whose readers' mean extent differs by at least 1 point; agreement = the estimate moves the same way",
      pairs: pairs.length,
      directionAgreement: pairs.length ? finite(agreeOf(pairs.map((_, i) => i))) : null,
      deltaSpearman: pairs.length
        ? finite(
            spearman(
              pairs.map((p) => p.de),
              pairs.map((p) => p.dt),
            ),
          )
        : null,
      ci95: { directionAgreement: bootstrap(pairGroups, agreeOf, n, seed + 4) },
      patients: pairGroups.length,
    },
    readers: {
      definition: "reader 1 against reader 2 (geographic extent) on the same query films: the human ceiling",
      films: both.length,
      pearson: both.length ? finite(pearson(r1, r2)) : null,
      mae: both.length ? finite(mean(r1.map((v, i) => Math.abs(v - r2[i]!)))) : null,
    },
  };
}
