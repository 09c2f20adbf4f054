// The evaluation itself, on rows and unit vectors already in memory: neighbour purity (all neighbours and
// other-source neighbours only), the majority-vote confusion, the severity estimate against the expert scores
// (calibrated on the reference set only), drift direction, and how much of the source the embedding still carries.
// Pure: no files, no model. scripts/eval.ts feeds it; the tests feed it hand-made vectors.
import { CLASS_VALUE, classMix, REFERENCE_CLASSES, type ReferenceClass } from "@/lib/domain";
import { personKeys, type EvalRow } from "./corpus";
import {
  correlationSummary,
  direction,
  fitLinear,
  majority,
  mean,
  nearest,
  share,
  type CorrelationSummary,
  type LinearFit,
  type Neighbour,
} from "./metrics";

export interface Labelled {
  rows: readonly EvalRow[];
  vectors: readonly Float32Array[];
}

export interface EvaluateOptions {
  /** Neighbours per query (the app shows 36). */
  k: number;
  /** Neighbours for the kNN regression of the expert scores (scored reference images only). */
  kRegression?: number;
  /** Neighbours for predicting the source within a severity class. */
  kSource?: number;
}

/** Share of neighbours with the wanted class, averaged over queries; `neighbours` = neighbours looked at. */
export interface PurityValue {
  value: number | null;
  queries: number;
  neighbours: number;
}

export interface PurityBlock {
  /** Healthy queries: share of healthy neighbours. */
  healthy: PurityValue;
  /** Infected queries: share of non-healthy (infected or severe) neighbours. */
  infected: PurityValue;
  /** Severe queries: share of non-healthy neighbours. */
  severe: PurityValue;
  /** Severe queries: share of severe neighbours. */
  severeStrict: PurityValue;
}

export interface SeverityTarget extends CorrelationSummary {
  /** Which estimator was used (chosen by the lower leave-one-person-out MAE on the reference set). */
  estimator: "index" | "knn";
  calibration: LinearFit & { referenceLooMae: number | null };
  alternatives: Record<"index" | "knn", { referenceLooMae: number | null; query: CorrelationSummary }>;
}

export interface EvaluationReport {
  k: number;
  counts: {
    reference: Record<ReferenceClass | "total", number>;
    queries: Record<ReferenceClass | "total", number>;
    referenceBySource: Record<string, Record<ReferenceClass, number>>;
    queriesBySource: Record<string, Record<ReferenceClass, number>>;
  };
  purity: PurityBlock;
  /** Same definitions, neighbours drawn only from reference images of another source than the query's. */
  purityOtherSource: PurityBlock;
  /** purity by the query's source (all neighbours / other-source neighbours). */
  puritySource: Record<string, { all: PurityBlock; otherSource: PurityBlock }>;
  confusion: {
    labels: readonly ReferenceClass[];
    /** matrix[true][predicted], predicted = majority class of the k neighbours. */
    matrix: number[][];
    accuracy: number | null;
    balancedAccuracy: number | null;
  };
  severity: {
    definition: string;
    geographic: SeverityTarget | null;
    opacity: SeverityTarget | null;
  };
  drift: {
    definition: string;
    directionAgreement: number | null;
    pairs: number;
    agreeing: number;
    patients: number;
  };
  sourceLeakage: {
    definition: string;
    byClass: Record<
      string,
      { queries: number; sources: number; accuracy: number; majorityBaseline: number; balancedAccuracy: number }
    >;
  };
}

/** A class's row and column in the confusion matrix, and its order for drift direction. */
const RANK = (c: ReferenceClass) => REFERENCE_CLASSES.indexOf(c);

function nullIfNaN(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function classCounts(rows: readonly EvalRow[]): Record<ReferenceClass | "total", number> {
  return { ...classMix(rows.map((r) => r.severity)), total: rows.length };
}

function bySource(rows: readonly EvalRow[]): Record<string, Record<ReferenceClass, number>> {
  const out: Record<string, Record<ReferenceClass, number>> = {};
  for (const r of rows) {
    out[r.source] ??= classMix();
    out[r.source]![r.severity]++;
  }
  return out;
}

function purityValue(
  queries: readonly number[],
  neighbours: readonly Neighbour[][],
  hit: (refIndex: number) => boolean,
): PurityValue {
  const shares: number[] = [];
  let looked = 0;
  for (const q of queries) {
    const ns = neighbours[q]!;
    looked += ns.length;
    if (ns.length > 0) shares.push(share(ns, (n) => hit(n.index)));
  }
  return { value: nullIfNaN(mean(shares)), queries: shares.length, neighbours: looked };
}

function purityBlock(
  queryRows: readonly EvalRow[],
  refRows: readonly EvalRow[],
  neighbours: readonly Neighbour[][],
  include: (q: number) => boolean = () => true,
): PurityBlock {
  const of = (c: ReferenceClass) => queryRows.flatMap((r, i) => (r.severity === c && include(i) ? [i] : []));
  const healthy = (j: number) => refRows[j]!.severity === "healthy";
  return {
    healthy: purityValue(of("healthy"), neighbours, healthy),
    infected: purityValue(of("infected"), neighbours, (j) => !healthy(j)),
    severe: purityValue(of("severe"), neighbours, (j) => !healthy(j)),
    severeStrict: purityValue(of("severe"), neighbours, (j) => refRows[j]!.severity === "severe"),
  };
}

/** Similarity-weighted share of severe + 0.5 * infected among the neighbours (0 = all healthy, 1 = all severe). */
export function severityIndex(neighbours: readonly Neighbour[], refRows: readonly EvalRow[]): number {
  let num = 0;
  let den = 0;
  for (const n of neighbours) {
    const w = Math.max(n.similarity, 0) + 1e-6;
    num += w * CLASS_VALUE[refRows[n.index]!.severity];
    den += w;
  }
  return den > 0 ? num / den : NaN;
}

/** Similarity-weighted mean expert score of the nearest scored reference images. */
function knnRegression(neighbours: readonly Neighbour[], values: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (const n of neighbours) {
    const w = Math.max(n.similarity, 0) + 1e-6;
    num += w * values[n.index]!;
    den += w;
  }
  return den > 0 ? num / den : NaN;
}

function severityTarget(
  reference: Labelled,
  queries: Labelled,
  refNeighboursLoo: (i: number) => Neighbour[],
  queryNeighbours: readonly Neighbour[][],
  person: (row: EvalRow) => string,
  pick: (r: EvalRow) => number | null,
  kRegression: number,
): SeverityTarget | null {
  const scoredRef = reference.rows.flatMap((r, i) => (pick(r) === null ? [] : [i]));
  const scoredQ = queries.rows.flatMap((r, i) => (pick(r) === null ? [] : [i]));
  if (scoredRef.length < 3) return null;
  const scoredVectors = scoredRef.map((i) => reference.vectors[i]!);
  const scoredValues = scoredRef.map((i) => pick(reference.rows[i]!)!);

  // Raw estimates: leave-one-person-out on the reference, plain on the queries.
  const rawRef = {
    index: scoredRef.map((i) => severityIndex(refNeighboursLoo(i), reference.rows)),
    knn: scoredRef.map((i) => {
      const p = person(reference.rows[i]!);
      return knnRegression(
        nearest(reference.vectors[i]!, scoredVectors, kRegression, (j) => person(reference.rows[scoredRef[j]!]!) !== p),
        scoredValues,
      );
    }),
  };
  const rawQ = {
    index: scoredQ.map((i) => severityIndex(queryNeighbours[i]!, reference.rows)),
    knn: scoredQ.map((i) => knnRegression(nearest(queries.vectors[i]!, scoredVectors, kRegression), scoredValues)),
  };
  const expectedQ = scoredQ.map((i) => pick(queries.rows[i]!)!);

  const evaluateEstimator = (name: "index" | "knn") => {
    const ok = rawRef[name].flatMap((v, t) => (Number.isFinite(v) ? [t] : []));
    const fit = fitLinear(
      ok.map((t) => rawRef[name][t]!),
      ok.map((t) => scoredValues[t]!),
    );
    // Leave-one-out of the calibration itself, so the reference MAE is not optimistic.
    const looErrors = ok.map((t) => {
      const rest = ok.filter((u) => u !== t);
      const f = fitLinear(
        rest.map((u) => rawRef[name][u]!),
        rest.map((u) => scoredValues[u]!),
      );
      return Math.abs(f.intercept + f.slope * rawRef[name][t]! - scoredValues[t]!);
    });
    const predicted = rawQ[name].map((v) => fit.intercept + fit.slope * v);
    return { fit, referenceLooMae: nullIfNaN(mean(looErrors)), predicted };
  };
  const index = evaluateEstimator("index");
  const knn = evaluateEstimator("knn");
  const chosenName: "index" | "knn" =
    (knn.referenceLooMae ?? Infinity) < (index.referenceLooMae ?? Infinity) ? "knn" : "index";
  const chosen = chosenName === "knn" ? knn : index;
  return {
    estimator: chosenName,
    ...correlationSummary(chosen.predicted, expectedQ),
    calibration: { ...chosen.fit, referenceLooMae: chosen.referenceLooMae },
    alternatives: {
      index: { referenceLooMae: index.referenceLooMae, query: correlationSummary(index.predicted, expectedQ) },
      knn: { referenceLooMae: knn.referenceLooMae, query: correlationSummary(knn.predicted, expectedQ) },
    },
  };
}

/** Everything in the report that depends on vectors; `reference` and `queries` must already be leak-checked. */
export function evaluate(reference: Labelled, queries: Labelled, options: EvaluateOptions): EvaluationReport {
  const { k } = options;
  const kRegression = options.kRegression ?? 7;
  const kSource = options.kSource ?? 10;
  if (reference.rows.length !== reference.vectors.length || queries.rows.length !== queries.vectors.length) {
    throw new RangeError("rows and vectors differ in length");
  }
  if (reference.rows.length === 0 || queries.rows.length === 0) throw new Error("empty reference or query set");
  const keys = personKeys([...reference.rows, ...queries.rows]);
  const person = (r: EvalRow) => keys.get(r.patientId) ?? r.patientId;

  const refRows = reference.rows;
  const qRows = queries.rows;
  const all = qRows.map((_, i) => nearest(queries.vectors[i]!, reference.vectors, k));
  const other = qRows.map((q, i) =>
    nearest(queries.vectors[i]!, reference.vectors, k, (j) => refRows[j]!.source !== q.source),
  );

  const sources = [...new Set(qRows.map((r) => r.source))].sort();
  const puritySource: EvaluationReport["puritySource"] = {};
  for (const s of sources) {
    const inSource = (i: number) => qRows[i]!.source === s;
    puritySource[s] = {
      all: purityBlock(qRows, refRows, all, inSource),
      otherSource: purityBlock(qRows, refRows, other, inSource),
    };
  }

  // Majority vote of the neighbours' classes.
  const matrix = REFERENCE_CLASSES.map(() => REFERENCE_CLASSES.map(() => 0));
  qRows.forEach((q, i) => {
    const ns = all[i]!;
    const predicted = majority(
      ns.map((n) => refRows[n.index]!.severity),
      REFERENCE_CLASSES,
      ns.map((n) => n.similarity),
    );
    if (predicted) matrix[RANK(q.severity)]![RANK(predicted)]!++;
  });
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  const correct = REFERENCE_CLASSES.reduce((s, _, c) => s + matrix[c]![c]!, 0);
  const recalls = matrix.flatMap((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n > 0 ? [row[c]! / n] : [];
  });

  // Severity: reference neighbours of reference image i without any image of the same person (leave-one-person-out).
  const refLoo = (i: number) => {
    const p = person(refRows[i]!);
    return nearest(reference.vectors[i]!, reference.vectors, k, (j) => person(refRows[j]!) !== p);
  };
  const geographic = severityTarget(reference, queries, refLoo, all, person, (r) => r.geographicMean, kRegression);
  const opacity = severityTarget(reference, queries, refLoo, all, person, (r) => r.opacityMean, kRegression);

  // Drift: consecutive dated scans of one person where the experts saw a change.
  const estimate = (i: number): number => {
    const t = geographic;
    if (t && t.estimator === "knn") {
      const scoredRef = refRows.flatMap((r, j) => (r.geographicMean === null ? [] : [j]));
      const v = knnRegression(
        nearest(
          queries.vectors[i]!,
          scoredRef.map((j) => reference.vectors[j]!),
          kRegression,
        ),
        scoredRef.map((j) => refRows[j]!.geographicMean!),
      );
      return t.calibration.intercept + t.calibration.slope * v;
    }
    const raw = severityIndex(all[i]!, refRows);
    return t ? t.calibration.intercept + t.calibration.slope * raw : raw;
  };
  const byPerson = new Map<string, number[]>();
  qRows.forEach((r, i) => {
    if (r.offsetDays === null) return;
    const p = person(r);
    byPerson.set(p, [...(byPerson.get(p) ?? []), i]);
  });
  let pairs = 0;
  let agreeing = 0;
  let driftPatients = 0;
  for (const scans of byPerson.values()) {
    if (scans.length < 2) continue;
    scans.sort((a, b) => qRows[a]!.offsetDays! - qRows[b]!.offsetDays! || qRows[a]!.id.localeCompare(qRows[b]!.id));
    let counted = false;
    for (let t = 1; t < scans.length; t++) {
      const a = qRows[scans[t - 1]!]!;
      const b = qRows[scans[t]!]!;
      const expert =
        a.geographicMean !== null && b.geographicMean !== null
          ? direction(b.geographicMean - a.geographicMean)
          : direction(RANK(b.severity) - RANK(a.severity));
      if (expert === 0) continue;
      pairs++;
      counted = true;
      if (direction(estimate(scans[t]!) - estimate(scans[t - 1]!)) === expert) agreeing++;
    }
    if (counted) driftPatients++;
  }

  // Source leakage: within one severity class, can the k nearest reference images of that class name the source?
  const byClass: EvaluationReport["sourceLeakage"]["byClass"] = {};
  for (const c of REFERENCE_CLASSES) {
    const refIdx = refRows.flatMap((r, j) => (r.severity === c ? [j] : []));
    const qIdx = qRows.flatMap((r, i) => (r.severity === c ? [i] : []));
    const refSources = [...new Set(refIdx.map((j) => refRows[j]!.source))].sort();
    if (refSources.length < 2 || qIdx.length === 0) continue;
    const vectors = refIdx.map((j) => reference.vectors[j]!);
    const hits = new Map<string, { n: number; ok: number }>();
    let ok = 0;
    for (const i of qIdx) {
      const ns = nearest(queries.vectors[i]!, vectors, kSource);
      const predicted = majority(
        ns.map((n) => refRows[refIdx[n.index]!]!.source),
        refSources,
        ns.map((n) => n.similarity),
      );
      const s = qRows[i]!.source;
      const h = hits.get(s) ?? { n: 0, ok: 0 };
      h.n++;
      if (predicted === s) {
        h.ok++;
        ok++;
      }
      hits.set(s, h);
    }
    byClass[c] = {
      queries: qIdx.length,
      sources: refSources.length,
      accuracy: ok / qIdx.length,
      majorityBaseline: Math.max(...[...hits.values()].map((h) => h.n)) / qIdx.length,
      balancedAccuracy: mean([...hits.values()].map((h) => h.ok / h.n)),
    };
  }

  return {
    k,
    counts: {
      reference: classCounts(refRows),
      queries: classCounts(qRows),
      referenceBySource: bySource(refRows),
      queriesBySource: bySource(qRows),
    },
    purity: purityBlock(qRows, refRows, all),
    purityOtherSource: purityBlock(qRows, refRows, other),
    puritySource,
    confusion: {
      labels: REFERENCE_CLASSES,
      matrix,
      accuracy: total > 0 ? correct / total : null,
      balancedAccuracy: nullIfNaN(mean(recalls)),
    },
    severity: {
      definition:
        `index = similarity-weighted share of severe + 0.5 * infected among the ${k} nearest reference images; ` +
        `knn = similarity-weighted mean expert score of the ${kRegression} nearest scored reference images. ` +
        "Each is calibrated linearly on the reference set (leave-one-person-out neighbours); the one with the lower " +
        "reference leave-one-out MAE is reported. Nothing is fitted on the queries.",
      geographic,
      opacity,
    },
    drift: {
      definition:
        "Query persons with two or more dated scans; consecutive scans where the experts saw a change " +
        "(geographic_mean when both are scored, else the severity class). Agreement = the calibrated geographic " +
        "estimate moves in the same direction (no change counts as disagreement).",
      directionAgreement: pairs > 0 ? agreeing / pairs : null,
      pairs,
      agreeing,
      patients: driftPatients,
    },
    sourceLeakage: {
      definition:
        `Within each severity class, the source of a query predicted by the majority of its ${kSource} nearest ` +
        "reference images of that class. Compare accuracy with majorityBaseline (always guessing the most common " +
        "query source) and balancedAccuracy with 1 / sources. Near chance = the embedding carries little source.",
      byClass,
    },
  };
}
