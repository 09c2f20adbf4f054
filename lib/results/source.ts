// The source film's identity and its Patient / General Study attributes, read from its stored original (header only,
// never the pixels): the SR must name the same patient and study exactly as the PACS has them.
import dcmjs from "dcmjs";
import { PATIENT_AND_STUDY_KEYWORDS, type SourceFilm } from "./sr";

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

export class NotDicomSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotDicomSourceError";
  }
}

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

export function readSourceFilm(bytes: Uint8Array): SourceFilm {
  let natural: Record<string, unknown>;
  let meta: Record<string, unknown>;
  try {
    const copy = new Uint8Array(bytes).buffer;
    const file = DicomMessage.readFile(copy, { untilTag: "7FE00010", includeUntilTagValue: false });
    natural = DicomMetaDictionary.naturalizeDataset(file.dict);
    meta = DicomMetaDictionary.naturalizeDataset(file.meta);
  } catch (error) {
    throw new NotDicomSourceError(`The stored original is not a readable DICOM file (${(error as Error).message}).`);
  }
  const uid = (v: unknown) => (typeof first(v) === "string" ? (first(v) as string) : "");
  const film: SourceFilm = {
    sopClassUid: uid(natural.SOPClassUID) || uid(meta.MediaStorageSOPClassUID),
    sopInstanceUid: uid(natural.SOPInstanceUID) || uid(meta.MediaStorageSOPInstanceUID),
    studyUid: uid(natural.StudyInstanceUID),
    seriesUid: uid(natural.SeriesInstanceUID),
    patientAndStudy: Object.fromEntries(
      PATIENT_AND_STUDY_KEYWORDS.filter((k) => natural[k] !== undefined).map((k) => [k, natural[k]]),
    ),
  };
  if (!film.sopClassUid || !film.sopInstanceUid || !film.studyUid || !film.seriesUid) {
    throw new NotDicomSourceError("The stored original lacks its SOP Class, SOP Instance, Study or Series UID.");
  }
  return film;
}
