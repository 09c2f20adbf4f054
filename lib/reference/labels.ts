// Curating the reference library: an administrator corrects the class of a reference scan. Every neighbour set, and
// so every stored severity value, depends on these labels: a change is audited (old and new class) and the drift of
// every patient is recomputed in the background (the library stamp changes with any label).
import type { ActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { requestDriftRefresh } from "@/lib/timeline/drift-queue";
import type { ReferenceListQuery, RelabelReferenceInput } from "./schemas";

export const REFERENCE_PAGE_SIZE = 48;

export interface RelabelResult {
  scanId: string;
  class: RelabelReferenceInput["class"];
  changed: boolean;
}

export async function relabelReference(
  db: Db,
  input: RelabelReferenceInput,
  ctx: ActionContext,
): Promise<RelabelResult> {
  const changed = await db.$transaction(async (tx) => {
    const label = await tx.referenceLabel.findUnique({ where: { scanId: input.scanId } });
    if (!label) throw new UserFacingError("This scan is not in the reference library.");
    if (label.class === input.class) return false;
    // The embeddings' copy of the class (the filtered indexes) follows by trigger, in this transaction.
    await tx.referenceLabel.update({ where: { scanId: input.scanId }, data: { class: input.class } });
    await recordAudit(tx, ctx, {
      action: "reference.relabelled",
      targetType: "scan",
      targetId: input.scanId,
      details: { from: label.class, to: input.class, source: label.source, sourceId: label.sourceId },
    });
    return true;
  });
  if (changed) await requestDriftRefresh("reference relabelled");
  return { scanId: input.scanId, class: input.class, changed };
}

export interface ReferenceRow {
  scanId: string;
  class: RelabelReferenceInput["class"];
  source: string;
  sourceId: string;
  finding: string | null;
  ageGroup: string | null;
  geographicMean: number | null;
  opacityMean: number | null;
  license: string | null;
}

export interface ReferencePage {
  rows: ReferenceRow[];
  total: number;
  page: number;
  pages: number;
  sources: string[];
}

export async function listReferences(db: Db, query: ReferenceListQuery): Promise<ReferencePage> {
  const where: Prisma.ReferenceLabelWhereInput = {
    ...(query.class ? { class: query.class } : {}),
    ...(query.source ? { source: query.source } : {}),
    ...(query.q ? { sourceId: { contains: query.q, mode: "insensitive" } } : {}),
  };
  const [total, sources] = await Promise.all([
    db.referenceLabel.count({ where }),
    db.referenceLabel.findMany({ distinct: ["source"], select: { source: true }, orderBy: { source: "asc" } }),
  ]);
  const pages = Math.max(1, Math.ceil(total / REFERENCE_PAGE_SIZE));
  const page = Math.min(query.page, pages);
  const rows = await db.referenceLabel.findMany({
    where,
    orderBy: [{ source: "asc" }, { sourceId: "asc" }],
    skip: (page - 1) * REFERENCE_PAGE_SIZE,
    take: REFERENCE_PAGE_SIZE,
    select: {
      scanId: true,
      class: true,
      source: true,
      sourceId: true,
      finding: true,
      ageGroup: true,
      geographicMean: true,
      opacityMean: true,
      license: true,
    },
  });
  return { rows, total, page, pages, sources: sources.map((s) => s.source) };
}
