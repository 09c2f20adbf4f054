// A scan's result as a DICOM Comprehensive SR that a PACS files beside the source film and any viewer (OHIF, the
// PACS's own) displays: the severity (the model's extent estimate with its interval when the model has an extent
// head, and the neighbours' 0-1 index), the class mix of the nearest reference films, the model and its version, and
// the statement that this is decision support. The values are the ones the FHIR Observation carries
// (lib/fhir/service.ts reads them; lib/results/source.ts adds the film's own DICOM header).
//
// Same patient and study as the source film, a new series. The series and instance UIDs are derived from the scan and
// the model (id and version), so sending the same result again names the same instance: the PACS replaces or keeps
// it instead of filing a duplicate. Pure; writing Part 10 bytes is dcmjs's job.
import { createHash } from "node:crypto";
import dcmjs, { type NaturalDataset } from "dcmjs";
import type { FhirScanInput } from "@/lib/fhir/resources";

const { DicomMetaDictionary, DicomDict } = dcmjs.data;

export const COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33";
const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
/** Codes Radtrack defines itself (PS3.3 8.2: private coding schemes start with "99"). */
export const LOCAL_SCHEME = "99RADTRACK";
export const DECISION_SUPPORT =
  "Decision support from similarity to labelled reference films; not a diagnosis. Not verified by a physician.";

/** The Patient and General Study attributes copied from the source film, and its identity. */
export interface SourceFilm {
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string;
  /** The source's Patient and General Study module attributes, by keyword, as read (dcmjs natural form). */
  patientAndStudy: NaturalDataset;
}

/** Keywords copied from the source so that the SR joins the same patient and study in the PACS. */
export const PATIENT_AND_STUDY_KEYWORDS = [
  "PatientName",
  "PatientID",
  "IssuerOfPatientID",
  "PatientBirthDate",
  "PatientSex",
  "StudyDate",
  "StudyTime",
  "ReferringPhysicianName",
  "StudyID",
  "AccessionNumber",
  "StudyDescription",
] as const;
/** Type 2 attributes of those modules: present, empty when the source has none. */
const TYPE2 = new Set([
  "PatientName",
  "PatientID",
  "PatientBirthDate",
  "PatientSex",
  "StudyDate",
  "StudyTime",
  "ReferringPhysicianName",
  "StudyID",
  "AccessionNumber",
]);

export type SrScan = Pick<FhirScanInput, "id" | "extent" | "model" | "assessment">;

// A fixed namespace for Radtrack's name-based UIDs (RFC 4122 version 5 UUIDs as "2.25." OIDs, PS3.5 B.2).
const NAMESPACE = Buffer.from("6f1c2a0e5b7d4e3a9c1f0d2b8a7e6c54", "hex");

/** A DICOM UID derived from `name`: the same name gives the same UID, and no other name does (SHA-1, 122 bits). */
export function nameBasedUid(name: string): string {
  const digest = createHash("sha1").update(NAMESPACE).update(name, "utf8").digest().subarray(0, 16);
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${digest.toString("hex")}`).toString(10)}`;
}

export function resultUids(scanId: string, model: { id: string; version: string | null }) {
  const key = `${scanId}|${model.id}|${model.version ?? ""}`;
  return { seriesUid: nameBasedUid(`sr-series|${key}`), sopInstanceUid: nameBasedUid(`sr-instance|${key}`) };
}

const IMPLEMENTATION_CLASS_UID = nameBasedUid("radtrack implementation");

interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}
const code = (value: string, scheme: string, meaning: string): Code => ({
  CodeValue: value,
  CodingSchemeDesignator: scheme,
  CodeMeaning: meaning,
});
const local = (value: string, meaning: string) => code(value, LOCAL_SCHEME, meaning);

/** Content items (PS3.3 C.17.3), in dcmjs's natural form; the root has no relationship. */
type Item = NaturalDataset & { RelationshipType?: string; ValueType: string };

const text = (rel: string, concept: Code, value: string): Item => ({
  RelationshipType: rel,
  ValueType: "TEXT",
  ConceptNameCodeSequence: [concept],
  TextValue: value,
});
const unitless = code("1", "UCUM", "no units");
const num = (concept: Code, value: number, unit: Code = unitless): Item => ({
  RelationshipType: "CONTAINS",
  ValueType: "NUM",
  ConceptNameCodeSequence: [concept],
  // The rounding the FHIR Observation uses, so both say the same number.
  MeasuredValueSequence: [{ NumericValue: String(Number(value.toFixed(4))), MeasurementUnitsCodeSequence: [unit] }],
});
const container = (rel: string, concept: Code, items: Item[]): Item => ({
  ...(rel ? { RelationshipType: rel } : {}),
  ValueType: "CONTAINER",
  ConceptNameCodeSequence: [concept],
  ContinuityOfContent: "SEPARATE",
  ContentSequence: items,
});

const fmt = (v: number) => String(Number(v.toFixed(4)));

/** The one-line statement a reader sees first. */
export function resultSentence(scan: SrScan): string {
  const parts: string[] = [];
  if (scan.extent) {
    parts.push(
      `Geographic extent estimate ${fmt(scan.extent.value)} on the 0-8 scale ` +
        `(interval ${fmt(scan.extent.lo)} to ${fmt(scan.extent.hi)})`,
    );
  }
  const a = scan.assessment;
  if (a) {
    parts.push(
      `neighbours' severity index ${fmt(a.index)} (0: like the healthy reference films, 1: like the severe ones; ` +
        `band ${a.region}); of the ${a.k} nearest reference films ${a.mix.healthy} healthy, ${a.mix.infected} ` +
        `infected, ${a.mix.severe} severe`,
    );
  }
  return `${parts.join("; ")}.`;
}

function dicomDate(d: Date): { date: string; time: string } {
  const iso = d.toISOString();
  return { date: iso.slice(0, 10).replaceAll("-", ""), time: iso.slice(11, 19).replaceAll(":", "") };
}

export interface BuiltSr {
  bytes: Buffer;
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
}

/** The SR for one assessed scan. Throws when there is nothing to report (no model, no extent and no assessment). */
export function buildResultSr(scan: SrScan, source: SourceFilm, options: { now?: Date } = {}): BuiltSr {
  const model = scan.model;
  if (!model || (!scan.extent && !scan.assessment)) {
    throw new Error(`Scan ${scan.id} has no result of the active model to send.`);
  }
  const { seriesUid, sopInstanceUid } = resultUids(scan.id, model);
  const { date, time } = dicomDate(options.now ?? new Date());
  const sourceRef = { ReferencedSOPClassUID: source.sopClassUid, ReferencedSOPInstanceUID: source.sopInstanceUid };

  const findings: Item[] = [text("CONTAINS", code("121071", "DCM", "Finding"), resultSentence(scan))];
  if (scan.extent) {
    findings.push(
      num(local("extent", "Geographic extent estimate (0-8)"), scan.extent.value),
      num(local("extent-lo", "Extent prediction interval, lower bound"), scan.extent.lo),
      num(local("extent-hi", "Extent prediction interval, upper bound"), scan.extent.hi),
    );
  }
  const a = scan.assessment;
  if (a) {
    const films = code("{films}", "UCUM", "films");
    findings.push(
      num(local("neighbour-index", "Neighbours' severity index (0-1)"), a.index),
      {
        RelationshipType: "CONTAINS",
        ValueType: "CODE",
        ConceptNameCodeSequence: [local("region", "Band of the neighbours' severity index")],
        ConceptCodeSequence: [local(`region-${a.region}`, a.region)],
      },
      num(local("nbrs-k", "Nearest reference films compared"), a.k, films),
      num(local("nbrs-healthy", "Nearest reference films labelled healthy"), a.mix.healthy, films),
      num(local("nbrs-infected", "Nearest reference films labelled infected"), a.mix.infected, films),
      num(local("nbrs-severe", "Nearest reference films labelled severe"), a.mix.severe, films),
      text("CONTAINS", local("library-state", "State of the reference library"), a.libraryStamp),
    );
  }
  findings.push(
    text("CONTAINS", code("111001", "DCM", "Algorithm Name"), model.id),
    ...(model.version ? [text("CONTAINS", code("111003", "DCM", "Algorithm Version"), model.version)] : []),
    {
      RelationshipType: "CONTAINS",
      ValueType: "IMAGE",
      ConceptNameCodeSequence: [code("121112", "DCM", "Source of Measurement")],
      ReferencedSOPSequence: [sourceRef],
    },
  );

  const content: Item = container("", code("18748-4", "LN", "Diagnostic Imaging Report"), [
    {
      RelationshipType: "HAS OBS CONTEXT",
      ValueType: "CODE",
      ConceptNameCodeSequence: [code("121005", "DCM", "Observer Type")],
      ConceptCodeSequence: [code("121007", "DCM", "Device")],
    },
    {
      RelationshipType: "HAS OBS CONTEXT",
      ValueType: "UIDREF",
      ConceptNameCodeSequence: [code("121012", "DCM", "Device Observer UID")],
      UID: nameBasedUid(`device|${model.id}|${model.version ?? ""}`),
    },
    text("HAS OBS CONTEXT", code("121013", "DCM", "Device Observer Name"), "Radtrack"),
    text("HAS OBS CONTEXT", code("121015", "DCM", "Device Observer Model Name"), model.id),
    container("CONTAINS", code("121070", "DCM", "Findings"), findings),
    text("CONTAINS", code("121106", "DCM", "Comment"), DECISION_SUPPORT),
  ]);

  const copied: NaturalDataset = {};
  for (const keyword of PATIENT_AND_STUDY_KEYWORDS) {
    const value = source.patientAndStudy[keyword];
    if (value !== undefined && value !== null && value !== "") copied[keyword] = value;
    else if (TYPE2.has(keyword)) copied[keyword] = "";
  }

  const dataset: NaturalDataset = {
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    ...copied,
    StudyInstanceUID: source.studyUid,
    // SR Document Series and General Equipment.
    Modality: "SR",
    SeriesInstanceUID: seriesUid,
    SeriesNumber: "9901",
    SeriesDescription: "Radtrack severity (decision support)",
    ReferencedPerformedProcedureStepSequence: [],
    Manufacturer: "Radtrack",
    ManufacturerModelName: model.id.slice(0, 64),
    ...(model.version ? { SoftwareVersions: model.version } : {}),
    // SR Document General.
    InstanceNumber: "1",
    ContentDate: date,
    ContentTime: time,
    CompletionFlag: "COMPLETE",
    VerificationFlag: "UNVERIFIED",
    PreliminaryFlag: "PRELIMINARY",
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: source.studyUid,
        ReferencedSeriesSequence: [{ SeriesInstanceUID: source.seriesUid, ReferencedSOPSequence: [sourceRef] }],
      },
    ],
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: LOCAL_SCHEME,
        CodingSchemeName: "Radtrack chest X-ray severity",
        CodingSchemeResponsibleOrganization: "Radtrack",
      },
    ],
    ...content,
  };
  // dcmjs writes text as UTF-8; the default repertoire (no Specific Character Set) says the same for ASCII-only
  // files, and more readers know it.
  if (!/^[\x00-\x7f]*$/.test(JSON.stringify(dataset))) dataset.SpecificCharacterSet = "ISO_IR 192";

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: COMPREHENSIVE_SR,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: "RADTRACK",
  };
  const file = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  file.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return { bytes: Buffer.from(file.write()), studyUid: source.studyUid, seriesUid, sopInstanceUid };
}
