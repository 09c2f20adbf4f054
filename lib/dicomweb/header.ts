// The tags that decide what becomes of an instance from a PACS (which patient, which study, is it a frontal chest
// film), read from the file's header without decoding pixels: refused and "to confirm" instances never cost a decode.
import dicomParser, { type DataSet } from "dicom-parser";
import { decoderFor, readText } from "@/lib/image/dicom/info";

export interface InstanceHeader {
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  seriesUid: string;
  patientId: string;
  issuer: string;
  /** As stored: "Family^Given". */
  patientName: string;
  sex: string;
  birthYear: number | undefined;
  modality: string;
  bodyPart: string;
  viewPosition: string;
  institution: string;
  /** SourceApplicationEntityTitle of the file meta header (0002,0016), set by the sender or a router. */
  sourceAeTitle: string;
}

export class NotDicomError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotDicomError";
  }
}

function text(ds: DataSet, tag: string, decoder: TextDecoder): string {
  return readText(ds, tag, decoder) ?? "";
}

export function readInstanceHeader(bytes: Uint8Array): InstanceHeader {
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, { untilTag: "x7fe00010" });
  } catch (error) {
    const why = error instanceof Error ? error.message : typeof error === "string" ? error : "unreadable header";
    throw new NotDicomError(`Not a readable DICOM file (${why}).`);
  }
  const decoder = decoderFor(ds);
  const sopInstanceUid = text(ds, "x00080018", decoder) || text(ds, "x00020003", decoder);
  const studyUid = text(ds, "x0020000d", decoder);
  const seriesUid = text(ds, "x0020000e", decoder);
  if (!sopInstanceUid || !studyUid || !seriesUid) {
    throw new NotDicomError("The DICOM file lacks its SOP Instance, Study or Series Instance UID.");
  }
  const birth = /^(\d{4})/.exec(text(ds, "x00100030", decoder));
  return {
    sopClassUid: text(ds, "x00080016", decoder) || text(ds, "x00020002", decoder),
    sopInstanceUid,
    studyUid,
    seriesUid,
    patientId: text(ds, "x00100020", decoder),
    issuer: text(ds, "x00100021", decoder),
    patientName: text(ds, "x00100010", decoder),
    sex: text(ds, "x00100040", decoder).toUpperCase(),
    birthYear: birth ? Number(birth[1]) : undefined,
    modality: text(ds, "x00080060", decoder).toUpperCase(),
    bodyPart: text(ds, "x00180015", decoder).toUpperCase(),
    viewPosition: text(ds, "x00185101", decoder).toUpperCase(),
    institution: text(ds, "x00080080", decoder),
    sourceAeTitle: text(ds, "x00020016", decoder),
  };
}
