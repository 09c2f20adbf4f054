// FHIR R4 views of Radtrack's results, built from what is stored (no recomputation here): the patient, an
// ImagingStudy per scan (its DICOM UIDs when it came from a PACS), an Observation per assessed scan (the severity
// index, decision support: status preliminary, the model as device, the neighbours' class mix as components) and a
// DiagnosticReport per patient bundling the course. Pure functions; lib/fhir/service.ts reads the database.
import type {
  Bundle,
  BundleEntry,
  CodeableConcept,
  DiagnosticReport,
  ImagingStudy,
  Observation,
  ObservationComponent,
  Patient,
  Resource,
} from "@medplum/fhirtypes";

export interface FhirPatientInput {
  id: string;
  mrn: string;
  name: string;
  sex: string;
  birthYear: number | null;
}

export interface FhirScanInput {
  id: string;
  acquiredAt: Date;
  view: string | null;
  /** The DICOM identity of the film when it came from a PACS. */
  dicom: {
    studyUid: string;
    seriesUid: string;
    sopInstanceUid: string;
    sopClassUid: string | null;
    modality: string | null;
  } | null;
  /** The model's own geographic extent estimate (0-8) with its interval, when the model has an extent head. */
  extent: { value: number; lo: number; hi: number } | null;
  /** The model that produced the vector (and the extent); null when the scan has none of the active model. */
  model: { id: string; version: string | null } | null;
  assessment: {
    index: number;
    region: "healthy" | "infected" | "severe";
    mix: Record<"healthy" | "infected" | "severe", number>;
    k: number;
    libraryStamp: string;
    computedAt: Date;
  } | null;
}

export interface FhirCourseInput {
  /** The scale the trend is judged on: the extent (0-8) when the model has an extent head, else the index (0-1). */
  scale: "extent" | "index";
  status: "improving" | "stable" | "worsening" | "insufficient";
  slopePerWeek: number | null;
  alerts: { scanId: string; kind: string; rise: number }[];
}

/** Codes Radtrack defines itself live under the deployment's own URL. */
export interface FhirContext {
  /** e.g. https://radtrack.hospital.org (no trailing slash). */
  base: string;
}

const DECISION_SUPPORT = "Decision support from similarity to labelled reference films; not a diagnosis.";
const CLASSES = ["healthy", "infected", "severe"] as const;
const UCUM = "http://unitsofmeasure.org";
const DCM = "http://dicom.nema.org/resources/ontology/DCM";

const system = (ctx: FhirContext, what: string) => `${ctx.base}/fhir/${what}`;
const code = (ctx: FhirContext, value: string, display: string): CodeableConcept => ({
  coding: [{ system: system(ctx, "CodeSystem/radtrack"), code: value, display }],
  text: display,
});

export function patientResource(p: FhirPatientInput, ctx: FhirContext): Patient {
  const gender = p.sex === "female" || p.sex === "male" || p.sex === "other" ? p.sex : "unknown";
  return {
    resourceType: "Patient",
    id: p.id,
    identifier: [{ use: "usual", system: system(ctx, "mrn"), value: p.mrn }],
    name: [{ text: p.name }],
    gender,
    ...(p.birthYear ? { birthDate: String(p.birthYear) } : {}),
  };
}

export function imagingStudyResource(patientId: string, s: FhirScanInput): ImagingStudy {
  const dicom = s.dicom;
  // A series needs its modality (R4: 1..1); films uploaded as JPEG or PNG have no DICOM identity at all.
  const modality = dicom?.modality ? { system: DCM, code: dicom.modality } : undefined;
  return {
    resourceType: "ImagingStudy",
    id: s.id,
    status: "available",
    subject: { reference: `Patient/${patientId}` },
    started: s.acquiredAt.toISOString(),
    ...(dicom ? { identifier: [{ system: "urn:dicom:uid", value: `urn:oid:${dicom.studyUid}` }] } : {}),
    ...(modality ? { modality: [modality] } : {}),
    numberOfSeries: 1,
    numberOfInstances: 1,
    description: `Chest radiograph${s.view ? ` (${s.view})` : ""}`,
    ...(dicom && modality
      ? {
          series: [
            {
              uid: dicom.seriesUid,
              modality,
              bodySite: { system: "http://snomed.info/sct", code: "51185008", display: "Thoracic structure" },
              numberOfInstances: 1,
              instance: [
                {
                  uid: dicom.sopInstanceUid,
                  sopClass: {
                    system: "urn:ietf:rfc:3986",
                    code: `urn:oid:${dicom.sopClassUid ?? "1.2.840.10008.5.1.4.1.1.1"}`,
                  },
                },
              ],
            },
          ],
        }
      : {}),
  };
}

const unitless = (value: number) => ({ value: Number(value.toFixed(4)), unit: "1", system: UCUM, code: "1" });

function mixComponents(ctx: FhirContext, a: NonNullable<FhirScanInput["assessment"]>): ObservationComponent[] {
  return [
    {
      code: code(ctx, "neighbour-index", "Neighbours' severity index (0-1)"),
      valueQuantity: unitless(a.index),
      referenceRange: [
        { low: unitless(0), high: unitless(1), text: "0: like the healthy reference films; 1: like the severe ones" },
      ],
    },
    ...CLASSES.map((c) => ({
      code: code(ctx, `neighbours-${c}`, `Nearest reference films labelled ${c} (of ${a.k})`),
      valueInteger: a.mix[c],
    })),
    {
      code: code(ctx, "region", "Band of the neighbours' severity index"),
      valueCodeableConcept: code(ctx, `region-${a.region}`, a.region),
    },
    {
      code: code(ctx, "reference-library-state", "State of the reference library the neighbours came from"),
      valueString: a.libraryStamp,
    },
  ];
}

/**
 * One scan's severity, or null when there is nothing to say yet. The value is the model's extent estimate (0-8, with
 * its interval) when the model has an extent head, else the neighbours' index (0-1); the other is a component.
 */
export function observationResource(patientId: string, s: FhirScanInput, ctx: FhirContext): Observation | null {
  const a = s.assessment;
  const e = s.extent;
  if ((!a && !e) || !s.model) return null;
  const value = e
    ? {
        valueQuantity: unitless(e.value),
        referenceRange: [
          { low: unitless(0), high: unitless(8), text: "Geographic extent, 0 (none) to 8 (both lungs fully)" },
        ],
      }
    : {
        valueQuantity: unitless(a!.index),
        referenceRange: [
          { low: unitless(0), high: unitless(1), text: "0: like the healthy reference films; 1: like the severe ones" },
        ],
      };
  const components: ObservationComponent[] = [
    ...(e
      ? [
          {
            code: code(ctx, "extent-interval", "Prediction interval of the extent estimate"),
            valueRange: { low: unitless(e.lo), high: unitless(e.hi) },
          },
        ]
      : []),
    ...(a ? mixComponents(ctx, a) : []),
  ];
  return {
    resourceType: "Observation",
    id: s.id,
    // Decision support: never "final".
    status: "preliminary",
    category: [
      {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "imaging" }],
      },
    ],
    code: e
      ? code(ctx, "extent", "Chest X-ray geographic extent estimate (Radtrack)")
      : code(ctx, "severity-index", "Chest X-ray severity index (Radtrack)"),
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: s.acquiredAt.toISOString(),
    ...(a ? { issued: a.computedAt.toISOString() } : {}),
    ...value,
    method: e
      ? code(ctx, "model-extent-head", "Extent regressed from the film's embedding, with a split-conformal interval")
      : code(
          ctx,
          "knn-reference-similarity",
          `Similarity-weighted class mix of the ${a!.k} nearest labelled reference films (CNN embeddings)`,
        ),
    device: { reference: "#model", display: s.model.id },
    derivedFrom: [{ reference: `ImagingStudy/${s.id}` }],
    note: [{ text: DECISION_SUPPORT }],
    contained: [
      {
        resourceType: "Device",
        id: "model",
        deviceName: [{ name: s.model.id, type: "model-name" }],
        ...(s.model.version ? { version: [{ value: s.model.version }] } : {}),
      },
    ],
    ...(components.length ? { component: components } : {}),
  };
}

export function diagnosticReportResource(
  patientId: string,
  scans: readonly FhirScanInput[],
  course: FhirCourseInput,
  ctx: FhirContext,
  now: Date = new Date(),
): DiagnosticReport {
  const assessed = scans.filter((s) => (s.assessment || s.extent) && s.model);
  const first = scans[0]?.acquiredAt;
  const last = scans[scans.length - 1]?.acquiredAt;
  const trend =
    course.slopePerWeek === null
      ? "not enough dated films for a trend"
      : `${course.slopePerWeek >= 0 ? "+" : ""}${course.slopePerWeek.toFixed(3)} per week on the ` +
        `${course.scale === "extent" ? "extent (0-8)" : "neighbours' index (0-1)"} scale`;
  const alerts = course.alerts.length
    ? `${course.alerts.length} alert(s): ${course.alerts.map((a) => a.kind.replace("_", " ")).join(", ")}`
    : "no alerts";
  return {
    resourceType: "DiagnosticReport",
    id: patientId,
    status: "preliminary",
    code: code(ctx, "course", "Course of chest X-ray severity (Radtrack)"),
    subject: { reference: `Patient/${patientId}` },
    ...(first && last ? { effectivePeriod: { start: first.toISOString(), end: last.toISOString() } } : {}),
    issued: now.toISOString(),
    imagingStudy: scans.map((s) => ({ reference: `ImagingStudy/${s.id}` })),
    result: assessed.map((s) => ({ reference: `Observation/${s.id}` })),
    conclusion: `Status: ${course.status}; trend ${trend}; ${alerts}. ${DECISION_SUPPORT}`,
    conclusionCode: [code(ctx, `status-${course.status}`, course.status)],
  };
}

export function bundle(type: "collection" | "searchset", resources: readonly Resource[], ctx: FhirContext): Bundle {
  const entry: BundleEntry[] = resources.map((resource) => ({
    fullUrl: `${ctx.base}/api/v1/fhir/${resource.resourceType}/${resource.id}`,
    resource,
    ...(type === "searchset" ? { search: { mode: "match" as const } } : {}),
  }));
  return {
    resourceType: "Bundle",
    type,
    ...(type === "searchset" ? { total: resources.length } : { timestamp: new Date().toISOString() }),
    entry,
  };
}
