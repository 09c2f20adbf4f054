import { describe, expect, it } from "vitest";
import { refusalReason, type FilterTags } from "./filters";

const settings = { modalities: ["CR", "DX"], aeTitles: [], institutions: [] };
const chest: FilterTags = { modality: "CR", bodyPart: "CHEST", viewPosition: "PA", institution: "" };

describe("refusalReason", () => {
  it("takes a frontal chest radiograph, with body part or view unspecified too", () => {
    expect(refusalReason(chest, settings)).toBeNull();
    expect(refusalReason({ ...chest, bodyPart: "", viewPosition: "" }, settings)).toBeNull();
    expect(refusalReason({ ...chest, modality: "dx", viewPosition: "ap" }, settings)).toBeNull();
  });

  it("refuses other modalities, other body parts and laterals, saying why", () => {
    expect(refusalReason({ ...chest, modality: "CT" }, settings)).toMatch(/modality CT/);
    expect(refusalReason({ ...chest, bodyPart: "KNEE" }, settings)).toMatch(/body part KNEE is not CHEST/);
    expect(refusalReason({ ...chest, viewPosition: "LL" }, settings)).toMatch(/lateral view \(LL\)/);
    expect(refusalReason({ ...chest, viewPosition: "OBL" }, settings)).toMatch(/not a frontal/);
  });

  it("applies the institution and AE title lists when set (AE only once the file is known)", () => {
    const strict = { ...settings, institutions: ["General Hospital"], aeTitles: ["CR1"] };
    expect(refusalReason({ ...chest, institution: "general hospital" }, strict)).toBeNull();
    expect(refusalReason({ ...chest, institution: "Elsewhere" }, strict)).toMatch(/institution "Elsewhere"/);
    expect(refusalReason({ ...chest, institution: "General Hospital", sourceAeTitle: "CR1" }, strict)).toBeNull();
    expect(refusalReason({ ...chest, institution: "General Hospital", sourceAeTitle: "" }, strict)).toMatch(
      /source AE title "\(none\)"/,
    );
  });
});
