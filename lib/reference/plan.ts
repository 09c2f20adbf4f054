// Which metadata rows may enter the reference library, and why the others may not. Pure: the file system and the
// database are consulted later (import.ts), with their own skip reasons.
import type { ReferenceClass } from "@/lib/domain";
import type { CorpusMetadata, CorpusRow } from "./metadata";

export const SKIP_REASONS = {
  malformed: "malformed metadata row",
  blankSeverity: "blank severity",
  unknownSeverity: "unknown severity value",
  pediatric: "pediatric (set RADTRACK_REFERENCE_INCLUDE_PEDIATRIC=1 to include)",
  demo: "reserved for a demo patient",
  missingFile: "image file missing",
  invalidImage: "image invalid",
  duplicateImage: "same image as another row",
} as const;
export type SkipReason = (typeof SKIP_REASONS)[keyof typeof SKIP_REASONS];

export interface SkippedRow {
  id: string | null;
  line: number;
  reason: SkipReason;
  /** Specifics, e.g. the decoder's message or the other row's id. */
  detail?: string;
}

export interface PlannedRow {
  row: CorpusRow;
  class: ReferenceClass;
}

export interface ImportPlan {
  accepted: PlannedRow[];
  skipped: SkippedRow[];
}

export interface PlanOptions {
  includePediatric: boolean;
  /** Corpus ids kept for demo patients (demo-selection.ts). */
  reservedIds: ReadonlySet<string>;
}

/** The corpus severity rule already produced the class; unknown words are refused rather than guessed. */
export function classOfSeverity(severity: string): ReferenceClass | null {
  switch (severity.trim().toLowerCase()) {
    case "healthy":
      return "healthy";
    case "infected":
      return "infected";
    case "severe":
      return "severe";
    default:
      return null;
  }
}

export function planImport(metadata: CorpusMetadata, options: PlanOptions): ImportPlan {
  const skipped: SkippedRow[] = metadata.rejected.map((r) => ({
    id: r.id,
    line: r.line,
    reason: SKIP_REASONS.malformed,
    detail: r.reason,
  }));
  const accepted: PlannedRow[] = [];
  for (const row of metadata.rows) {
    const skip = (reason: SkipReason, detail?: string) => skipped.push({ id: row.id, line: row.line, reason, detail });
    // Demo films first: they are reserved whatever their label, and a report should say so rather than "pediatric".
    if (options.reservedIds.has(row.id)) {
      skip(SKIP_REASONS.demo);
      continue;
    }
    if (row.severity === "") {
      skip(SKIP_REASONS.blankSeverity);
      continue;
    }
    const cls = classOfSeverity(row.severity);
    if (!cls) {
      skip(SKIP_REASONS.unknownSeverity, row.severity);
      continue;
    }
    if (row.ageGroup === "pediatric" && !options.includePediatric) {
      skip(SKIP_REASONS.pediatric);
      continue;
    }
    accepted.push({ row, class: cls });
  }
  return { accepted, skipped };
}

/** Skip counts by reason, largest first, for summaries and the audit event. */
export function countByReason(skipped: readonly SkippedRow[]): { reason: SkipReason; count: number }[] {
  const counts = new Map<SkipReason, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count);
}
