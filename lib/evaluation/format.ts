// The human-readable summary printed by scripts/eval.ts; the JSON report holds everything.
import type { PurityBlock } from "./evaluate";
import type { RunReport } from "./run";

const f = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? "n/a" : v.toFixed(digits));

function purityLine(label: string, p: PurityBlock): string {
  return (
    `${label.padEnd(22)} healthy ${f(p.healthy.value)} (n=${p.healthy.queries})  ` +
    `infected ${f(p.infected.value)} (n=${p.infected.queries})  ` +
    `severe ${f(p.severe.value)} / strict ${f(p.severeStrict.value)} (n=${p.severe.queries})`
  );
}

export function formatReport(r: RunReport): string {
  const lines = [
    `model ${r.model.id} (${r.model.dims}-d, sha256 ${r.model.sha256.slice(0, 12)}…)` +
      (r.model.quantized ? ` as its int8 copy ${r.model.quantized.id}` : "") +
      ` on ${r.provider}, ${r.threads} threads`,
    `reference ${r.reference.images} images, queries ${r.queries.images} images, k = ${r.k}, age groups: ${
      r.ageGroups === "all" ? "all" : r.ageGroups.join(",")
    }`,
    `leaks: ${r.leakage.leakedQueries.length} queries${r.leakage.allowed && r.leakage.leaks.length > 0 ? " (ALLOWED: numbers are optimistic)" : ""}`,
    purityLine("purity (all)", r.purity),
    purityLine("purity (other source)", r.purityOtherSource),
    ...Object.entries(r.puritySource).flatMap(([source, p]) => [
      purityLine(`  ${source.split("/")[0]}`, p.all),
      purityLine(`   └ other source`, p.otherSource),
    ]),
    `majority vote: accuracy ${f(r.confusion.accuracy)}, balanced ${f(r.confusion.balancedAccuracy)}; ` +
      `rows = true ${r.confusion.labels.join("/")}: ${r.confusion.matrix.map((row) => row.join(" ")).join(" | ")}`,
  ];
  for (const [name, t] of [
    ["geographic (0-8)", r.severity.geographic],
    ["opacity (0-6)", r.severity.opacity],
  ] as const) {
    lines.push(
      t
        ? `severity ${name}: pearson ${f(t.pearson)} spearman ${f(t.spearman)} MAE ${f(t.mae)} (n=${t.n}, ${t.estimator}, ` +
            `reference LOO MAE ${f(t.calibration.referenceLooMae)})`
        : `severity ${name}: not enough scored reference images`,
    );
  }
  const e = r.severity.extent;
  const ci = (c: [number, number] | null) => (c ? ` [${f(c[0])}, ${f(c[1])}]` : "");
  lines.push(
    `extent (0-8) vs readers: pearson ${f(e.pearson)}${ci(e.ci95.pearson)} spearman ${f(e.spearman)} ` +
      `MAE ${f(e.mae)}${ci(e.ci95.mae)} (n=${e.films})`,
    `neighbours' expert extent: pearson ${f(r.severity.neighbours.pearson)}${ci(r.severity.neighbours.ci95)} ` +
      `(n=${r.severity.neighbours.films}); top-${r.k} similarity mean ${f(r.severity.neighbours.top36SimilarityMean)}, ` +
      `top1-topk ${f(r.severity.neighbours.top36SimilaritySpread)}`,
    `direction of change: agreement ${f(r.drift.directionAgreement)}${ci(r.drift.ci95.directionAgreement)} on ` +
      `${r.drift.pairs} pairs (${r.drift.patients} patients), delta spearman ${f(r.drift.deltaSpearman)}`,
    `reader 1 vs reader 2: pearson ${f(r.readers.pearson)} MAE ${f(r.readers.mae)} (n=${r.readers.films})`,
    `class drift (earlier definition): agreement ${f(r.driftClasses.directionAgreement)} (${r.driftClasses.agreeing}/${r.driftClasses.pairs} pairs)`,
  );
  if (r.ood) {
    lines.push(
      `gate: ${
        r.ood.images
          ? `refused ${f(r.ood.refused)} of ${r.ood.images} non-frontal images (` +
            Object.entries(r.ood.byKind)
              .map(([k, v]) => `${k} ${f(v)}`)
              .join(", ") +
            "); "
          : ""
      }` + `frontal queries refused ${f(r.ood.frontalRefused)}`,
    );
  }
  for (const [c, s] of Object.entries(r.sourceLeakage.byClass)) {
    lines.push(
      `source from embedding within ${c}: accuracy ${f(s.accuracy)} vs majority ${f(s.majorityBaseline)}; ` +
        `balanced ${f(s.balancedAccuracy)} vs chance ${f(1 / s.sources)} (n=${s.queries})`,
    );
  }
  lines.push(`time ${f(r.timing.totalSeconds, 1)} s (${f(r.timing.imagesPerSecond, 1)} images/s embedding)`);
  return lines.join("\n");
}
