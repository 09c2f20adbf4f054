// The one score a heatmap explains, behind one function. A model with an extent head (model.json `heads.extent`,
// radtrack_cxr_v3) explains its own estimate of the geographic extent (0-8), the number the timeline draws; an
// embedding-only model explains the scan's severity index from its 36 nearest reference films (lib/drift), computed
// exactly as the timeline computes it: the same model, the same library, the same exclusions (the scan itself,
// copies of the patient's own films).
import type { Db } from "@/lib/db/client";
import { nearestReferences } from "@/lib/db/vector-sql";
import { NEIGHBOUR_K } from "@/lib/domain";
import { severityIndex } from "@/lib/drift/severity";
import { analyseImages, embedImages } from "@/lib/embedding";
import type { GreyImage } from "@/lib/embedding/types";
import type { ScanRef } from "@/lib/neighbours/find";
import type { ActiveModel } from "@/lib/scans/active-model";
import type { ScoreImages } from "./occlusion";

export interface ExplainedScore {
  /** What the map explains, for the page's one-line statement. */
  name: string;
  score: ScoreImages;
}

export async function explainedScore(db: Db, scan: ScanRef, model: ActiveModel): Promise<ExplainedScore> {
  if (model.heads?.extent) {
    return {
      name: "estimated geographic extent (0-8) from the model's extent head",
      score: async (images: readonly GreyImage[]) =>
        (await analyseImages(images)).map((a) => {
          if (!a.extent) throw new Error("the model gave no extent for this image");
          return a.extent.value;
        }),
    };
  }
  const own = scan.patientId
    ? (
        await db.scan.findMany({ where: { patientId: scan.patientId, withdrawnAt: null }, select: { sha256: true } })
      ).map((s) => s.sha256)
    : [];
  const excludeSha256 = [...new Set([scan.sha256, ...own])];
  return {
    name: "severity index from the 36 nearest reference films",
    score: async (images: readonly GreyImage[]) => {
      const vectors = await embedImages(images);
      const scores: number[] = [];
      for (const vector of vectors) {
        const rows = await nearestReferences(db, {
          modelId: model.id,
          dims: model.dims,
          vector,
          k: NEIGHBOUR_K,
          excludeScanIds: [scan.id],
          excludeSha256,
        });
        if (rows.length === 0) throw new Error("the reference library is empty: there is no score to explain");
        scores.push(severityIndex(rows.map((r) => ({ class: r.class, similarity: 1 - r.distance }))));
      }
      return scores;
    },
  };
}
