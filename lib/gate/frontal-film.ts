// The frontal-film gate: Radtrack scores frontal chest radiographs only, so every entry point refuses a picture the
// model's view head does not take for one (a CT slice, a lateral view, a screenshot, a document) before anything is
// stored. Two tests, either one refuses: the view head's frontal probability, and the distance of the film's
// features to the frontal films the model was trained on (catches what the head never saw). Thresholds come from
// model.json, measured on held-out films (models/<id>/MODEL_CARD.md).
import type { FilmAnalysis, ModelDescriptor, ViewClass } from "@/lib/embedding";
import { ScanValidationError } from "@/lib/image/errors";

export type GateSpec = NonNullable<NonNullable<ModelDescriptor["heads"]>["view"]>;

export interface GateVerdict {
  accepted: boolean;
  /** The most likely class; for a refusal the most likely non-frontal one ("other" when refused on distance alone). */
  looksLike: ViewClass;
  frontalProbability: number;
  distance: number;
  refusedBy: ("probability" | "distance")[];
}

const LOOKS_LIKE: Record<Exclude<ViewClass, "frontal">, string> = {
  ct: "a CT slice",
  lateral: "a lateral view",
  other: "not a radiograph",
};

/** A non-frontal class must reach this probability to be named; below it the picture is simply "not a radiograph". */
const NAME_MIN_PROBABILITY = 0.2;

export function judgeView(view: NonNullable<FilmAnalysis["view"]>, spec: GateSpec): GateVerdict {
  const frontalProbability = view.probabilities.frontal ?? 0;
  const refusedBy: GateVerdict["refusedBy"] = [];
  if (frontalProbability < spec.frontalMinProbability) refusedBy.push("probability");
  if (view.distance > spec.maxDistance) refusedBy.push("distance");
  let looksLike: ViewClass = "frontal";
  if (refusedBy.length > 0) {
    let best: ViewClass = "other";
    let bestP = -1;
    for (const c of spec.classes) {
      const p = view.probabilities[c] ?? 0;
      if (c !== "frontal" && p > bestP) {
        best = c;
        bestP = p;
      }
    }
    looksLike = bestP >= NAME_MIN_PROBABILITY || refusedBy.includes("probability") ? best : "other";
  }
  return { accepted: refusedBy.length === 0, looksLike, frontalProbability, distance: view.distance, refusedBy };
}

export function describeLooksLike(c: ViewClass): string {
  return c === "frontal" ? "a frontal chest X-ray" : LOOKS_LIKE[c];
}

export function gateRefusal(verdict: GateVerdict): ScanValidationError {
  const what = describeLooksLike(verdict.looksLike);
  const lead =
    verdict.looksLike === "other"
      ? "This image does not look like a chest X-ray (not a radiograph)"
      : `This image looks like ${what}, not a frontal chest X-ray`;
  return new ScanValidationError(
    "not_frontal_film",
    `${lead}, so nothing was stored: Radtrack scores frontal (PA or AP) chest radiographs only. ` +
      "If it is a real frontal chest X-ray, an admin can accept it with a reason.",
  );
}

export interface GateOverride {
  reason: string;
}

/** What the audit log keeps of a refusal that an admin overrode. */
export interface GateOverrideRecord extends GateOverride {
  looksLike: ViewClass;
  frontalProbability: number;
  distance: number;
}

/**
 * Applies the gate to one analysed film. Returns undefined when the film passes (or the model has no gate), the
 * override record when an admin accepted a refused film, and throws the refusal otherwise.
 */
export function applyGate(
  analysis: FilmAnalysis,
  spec: GateSpec | undefined,
  override: GateOverride | undefined,
): GateOverrideRecord | undefined {
  if (!spec || !analysis.view) return undefined;
  const verdict = judgeView(analysis.view, spec);
  if (verdict.accepted) return undefined;
  if (!override) throw gateRefusal(verdict);
  return {
    reason: override.reason,
    looksLike: verdict.looksLike,
    frontalProbability: verdict.frontalProbability,
    distance: verdict.distance,
  };
}
