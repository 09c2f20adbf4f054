// Every resource Radtrack produces is validated against the official FHIR R4 structure definitions and value sets
// (the `fhir` package's validator, which ships them): zero errors and zero warnings. The validator is shown to catch
// a broken resource too, so a pass means something.
import { Fhir } from "fhir";
import { describe, expect, it } from "vitest";
import {
  bundle,
  diagnosticReportResource,
  imagingStudyResource,
  observationResource,
  patientResource,
  type FhirScanInput,
} from "./resources";

const fhir = new Fhir();
const ctx = { base: "https://radtrack.hospital.example" };
const patient = {
  id: "5b8f0c6e-1d2a-4f3b-9c4d-5e6f7a8b9c0d",
  mrn: "P-100",
  name: "Jane Doe",
  sex: "female",
  birthYear: 1970,
};
const pacsScan: FhirScanInput = {
  id: "0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9",
  acquiredAt: new Date("2026-12-01T08:30:00Z"),
  view: "PA",
  dicom: {
    studyUid: "1.2.276.0.7230010.3.1.2.1",
    seriesUid: "1.2.276.0.7230010.3.1.3.1",
    sopInstanceUid: "1.2.276.0.7230010.3.1.4.1",
    sopClassUid: "1.2.840.10008.5.1.4.1.1.1",
    modality: "CR",
  },
  extent: { value: 3.25, lo: 2.1, hi: 4.4 },
  model: { id: "radtrack_cxr_v2", version: "1" },
  assessment: {
    index: 0.4321,
    region: "infected",
    mix: { healthy: 10, infected: 20, severe: 6 },
    k: 36,
    libraryStamp: "1200:1733000000000:abc",
    computedAt: new Date("2026-12-01T09:00:00Z"),
  },
};
/** A model without an extent head: the neighbours' index is the value. */
const indexOnlyScan: FhirScanInput = { ...pacsScan, id: "2a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9", extent: null };
const uploadedScan: FhirScanInput = {
  ...pacsScan,
  id: "1a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9",
  dicom: null,
  extent: null,
  model: null,
  assessment: null,
};

// The validator knows the code systems published with R4, not the one a Radtrack deployment defines under its own
// URL; codes of that system are vouched for here, every other code is checked against its value set.
const OWN_SYSTEM = `${ctx.base}/fhir/CodeSystem/radtrack`;

function problems(resource: object) {
  const result = fhir.validate(resource, {
    errorOnUnexpected: true,
    beforeCheckCode: (_valueSet, _code, system) => system === OWN_SYSTEM,
  });
  return result.messages.filter((m) => m.severity !== "info").map((m) => `${m.severity} ${m.location}: ${m.message}`);
}

describe("FHIR R4 resources", () => {
  it("validate with no errors or warnings: Patient, ImagingStudy (PACS film and upload), Observation, report, bundles", () => {
    const observation = observationResource(patient.id, pacsScan, ctx)!;
    const indexObservation = observationResource(patient.id, indexOnlyScan, ctx)!;
    const report = diagnosticReportResource(
      patient.id,
      [pacsScan, uploadedScan],
      {
        scale: "extent",
        status: "worsening",
        slopePerWeek: 0.031,
        alerts: [{ scanId: pacsScan.id, kind: "sharp_rise", rise: 0.2 }],
      },
      ctx,
    );
    const resources = [
      patientResource(patient, ctx),
      imagingStudyResource(patient.id, pacsScan),
      imagingStudyResource(patient.id, uploadedScan),
      observation,
      indexObservation,
      report,
    ];
    for (const r of resources) expect(problems(r), r.resourceType).toEqual([]);
    expect(problems(bundle("collection", resources, ctx))).toEqual([]);
    expect(problems(bundle("searchset", [observation], ctx))).toEqual([]);
  });

  it("say what the severity is and is not: preliminary, the extent with its interval, the model, the mix", () => {
    const o = observationResource(patient.id, pacsScan, ctx)!;
    expect(o.status).toBe("preliminary");
    expect(o.valueQuantity).toMatchObject({ value: 3.25, system: "http://unitsofmeasure.org", code: "1" });
    expect(o.component?.[0]?.valueRange).toMatchObject({ low: { value: 2.1 }, high: { value: 4.4 } });
    expect(o.component?.[1]?.valueQuantity?.value).toBe(0.4321);
    expect(o.device).toEqual({ reference: "#model", display: "radtrack_cxr_v2" });
    expect(o.contained?.[0]).toMatchObject({ resourceType: "Device", version: [{ value: "1" }] });
    expect(o.component?.slice(2, 5).map((c) => c.valueInteger)).toEqual([10, 20, 6]);
    expect(o.note?.[0]?.text).toMatch(/not a diagnosis/);
    const i = observationResource(patient.id, indexOnlyScan, ctx)!;
    expect(i.valueQuantity?.value).toBe(0.4321);
    expect(i.referenceRange?.[0]?.high?.value).toBe(1);
    expect(observationResource(patient.id, uploadedScan, ctx)).toBeNull();
  });

  it("the validator rejects a broken resource (so a pass means something)", () => {
    const o = observationResource(patient.id, pacsScan, ctx)!;
    expect(problems({ ...o, status: "guessed" }).join("\n")).toMatch(/status/);
    expect(problems({ ...o, valueQuantity: { value: "high" } }).length).toBeGreaterThan(0);
    const { status: _status, ...noStatus } = o;
    expect(problems(noStatus).join("\n")).toMatch(/status/);
  });
});
