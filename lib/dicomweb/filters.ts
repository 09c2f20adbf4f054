// Which instances Radtrack takes from a PACS: chest radiographs (CR/DX, body part CHEST or unspecified), frontal
// views, optionally from named AE titles or institutions. The frontal-film gate inside the ingest pipeline applies
// on top; this check is on tags alone, so a refused instance is never retrieved or decoded.
import type { DicomwebConfig } from "@/lib/config";

export interface FilterTags {
  modality: string;
  bodyPart: string;
  viewPosition: string;
  institution: string;
  /** Undefined when not known yet (QIDO results carry no AE title; the file does). */
  sourceAeTitle?: string;
}

export type FilterSettings = Pick<DicomwebConfig, "modalities" | "aeTitles" | "institutions">;

const FRONTAL = new Set(["PA", "AP", "AP SUPINE", "AP ERECT"]);
const LATERAL = /^(LL|RL|LAT|LATERAL|LLD|RLD|LEFT LATERAL|RIGHT LATERAL)$/;

/** Why this instance is not taken, or null when it is. Reasons are shown to admins as they are. */
export function refusalReason(tags: FilterTags, settings: FilterSettings): string | null {
  const modality = tags.modality.trim().toUpperCase();
  if (!settings.modalities.includes(modality)) {
    return `modality ${modality || "(none)"} is not a radiograph Radtrack takes (${settings.modalities.join(", ")})`;
  }
  const bodyPart = tags.bodyPart.trim().toUpperCase();
  if (bodyPart !== "" && bodyPart !== "CHEST") return `body part ${bodyPart} is not CHEST`;
  const view = tags.viewPosition.trim().toUpperCase();
  if (LATERAL.test(view)) return `lateral view (${view}): only frontal chest films are assessed`;
  if (view !== "" && !FRONTAL.has(view)) return `view ${view} is not a frontal (PA/AP) chest film`;
  if (settings.institutions.length > 0) {
    const institution = tags.institution.trim().toLowerCase();
    if (!settings.institutions.some((i) => i.toLowerCase() === institution)) {
      return `institution "${tags.institution || "(none)"}" is not in the configured list`;
    }
  }
  if (settings.aeTitles.length > 0 && tags.sourceAeTitle !== undefined) {
    const ae = tags.sourceAeTitle.trim();
    if (!settings.aeTitles.includes(ae)) return `source AE title "${ae || "(none)"}" is not in the configured list`;
  }
  return null;
}
