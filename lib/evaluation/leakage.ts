// The leakage guard: a query whose person or picture is also in the reference set finds itself, and every number
// after that is flattering. Such queries are refused unless the caller explicitly allows them.
import { personKeys, type EvalRow } from "./corpus";
import {
  correlation,
  DEFAULT_MAX_HAMMING,
  DEFAULT_MIN_CORRELATION,
  hamming,
  HASH_SIDE,
  type Fingerprint,
} from "./fingerprint";

export { DEFAULT_MAX_HAMMING, DEFAULT_MIN_CORRELATION };

export interface LeakThresholds {
  /** 256-bit dHash distance at or below which two images are the same picture. */
  maxHamming: number;
  /** Thumbnail correlation at or above which two images are the same picture. */
  minCorrelation: number;
}

export interface Leak {
  queryId: string;
  referenceId: string;
  reason: "patient" | "image";
  /** Patient ids for "patient", the dHash distance and thumbnail correlation for "image". */
  detail: string;
}

export interface LeakCheck {
  leaks: Leak[];
  /** Query ids with at least one leak. */
  leakedQueries: string[];
  thresholds: LeakThresholds;
}

export function findLeaks(
  reference: readonly EvalRow[],
  referencePrints: readonly Fingerprint[],
  queries: readonly EvalRow[],
  queryPrints: readonly Fingerprint[],
  thresholds: LeakThresholds = { maxHamming: DEFAULT_MAX_HAMMING, minCorrelation: DEFAULT_MIN_CORRELATION },
): LeakCheck {
  const keys = personKeys([...reference, ...queries]);
  const person = (r: EvalRow) => keys.get(r.patientId) ?? r.patientId;
  const refByPerson = new Map<string, EvalRow>();
  for (const r of reference) if (!refByPerson.has(person(r))) refByPerson.set(person(r), r);

  const leaks: Leak[] = [];
  queries.forEach((q, i) => {
    const same = refByPerson.get(person(q));
    if (same) {
      leaks.push({
        queryId: q.id,
        referenceId: same.id,
        reason: "patient",
        detail: same.patientId === q.patientId ? q.patientId : `${q.patientId} = ${same.patientId}`,
      });
    }
    const qp = queryPrints[i]!;
    referencePrints.forEach((rp, j) => {
      const d = hamming(qp.hash, rp.hash);
      const c = correlation(qp, rp);
      if (d <= thresholds.maxHamming || c >= thresholds.minCorrelation) {
        leaks.push({
          queryId: q.id,
          referenceId: reference[j]!.id,
          reason: "image",
          detail: `dHash ${d}/${HASH_SIDE * HASH_SIDE} bits, correlation ${c.toFixed(3)}`,
        });
      }
    });
  });
  return { leaks, leakedQueries: [...new Set(leaks.map((l) => l.queryId))], thresholds };
}

export function describeLeaks(check: LeakCheck, max = 10): string {
  const lines = check.leaks
    .slice(0, max)
    .map((l) => `  - query ${l.queryId} ~ reference ${l.referenceId}: same ${l.reason} (${l.detail})`);
  const more = check.leaks.length > max ? [`  ... and ${check.leaks.length - max} more`] : [];
  return [
    `${check.leakedQueries.length} of the queries also appear in the reference set ` +
      `(same patient, or the same picture: 256-bit dHash <= ${check.thresholds.maxHamming} bits or thumbnail ` +
      `correlation >= ${check.thresholds.minCorrelation}):`,
    ...lines,
    ...more,
  ].join("\n");
}
