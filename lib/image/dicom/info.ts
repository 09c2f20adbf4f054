// The descriptive tags the app shows or cross-checks (patient, date, view). Names are decoded with the file's own
// character set, so "Müller" written as UTF-8 or Latin-1 reads as "Müller", not as mojibake.
import type { DataSet } from "dicom-parser";
import type { DicomAcquisition, DicomDateTag, DicomInfo } from "../types";
import { readString } from "./parse";
import { transferSyntaxName } from "./transfer-syntax";

// Single-byte and multi-byte sets from PS3.3 C.12.1.1.2 that TextDecoder knows. ISO 2022 code extensions switch sets
// mid-string; for those the first (default) repertoire is used, which keeps ASCII names right.
const CHARSETS: Readonly<Record<string, string>> = {
  "ISO_IR 6": "utf-8",
  "ISO_IR 100": "windows-1252",
  "ISO_IR 101": "iso-8859-2",
  "ISO_IR 109": "iso-8859-3",
  "ISO_IR 110": "iso-8859-4",
  "ISO_IR 144": "iso-8859-5",
  "ISO_IR 127": "iso-8859-6",
  "ISO_IR 126": "iso-8859-7",
  "ISO_IR 138": "iso-8859-8",
  "ISO_IR 148": "windows-1254",
  "ISO_IR 203": "iso-8859-15",
  "ISO_IR 13": "shift_jis",
  "ISO_IR 166": "windows-874",
  "ISO_IR 192": "utf-8",
  GB18030: "gb18030",
  GBK: "gbk",
};

export function decoderFor(ds: DataSet): TextDecoder {
  const declared = (readString(ds, "x00080005") ?? "").split("\\").map((s) => s.trim().replace(/^ISO 2022 /, "ISO_"));
  const label = declared.map((d) => CHARSETS[d]).find((l) => l !== undefined) ?? "windows-1252";
  try {
    return new TextDecoder(label);
  } catch {
    // A Node built without full ICU lacks the East Asian sets; Latin-1 still gets ASCII names right.
    return new TextDecoder("windows-1252");
  }
}

export function readText(ds: DataSet, tag: string, decoder: TextDecoder): string | undefined {
  const element = ds.elements[tag];
  if (!element || element.length <= 0 || element.dataOffset + element.length > ds.byteArray.length) return undefined;
  const bytes = ds.byteArray.subarray(element.dataOffset, element.dataOffset + element.length);
  const text = decoder.decode(bytes).replace(/\0/g, "").trim();
  return text ? text : undefined;
}

// Which tag says when the film was taken, and the time tag that goes with it. The values are returned as written:
// whether they are usable is the acquisition date rule's business (lib/scans/acquisition-date.ts), not the decoder's.
const DATE_TAGS: readonly (readonly [DicomDateTag, string, string])[] = [
  ["AcquisitionDate", "x00080022", "x00080032"],
  ["ContentDate", "x00080023", "x00080033"],
  ["StudyDate", "x00080020", "x00080030"],
];

function readAcquisition(ds: DataSet): DicomAcquisition | undefined {
  for (const [tag, dateTag, timeTag] of DATE_TAGS) {
    const date = readString(ds, dateTag);
    if (!date) continue;
    const time = readString(ds, timeTag);
    return time ? { tag, date, time } : { tag, date };
  }
  return undefined;
}

const EXECUTABLE_SIGNATURES: readonly (readonly number[])[] = [
  [0x4d, 0x5a], // "MZ": Windows PE / DOS
  [0x7f, 0x45, 0x4c, 0x46], // ELF
  [0xcf, 0xfa, 0xed, 0xfe], // Mach-O 64-bit
  [0xfe, 0xed, 0xfa, 0xcf],
  [0xca, 0xfe, 0xba, 0xbe], // Mach-O universal
  [0x23, 0x21], // "#!" script
];

export function describePreamble(preamble: Uint8Array | undefined): {
  hadPreamble: boolean;
  executablePreamble: boolean;
} {
  if (!preamble) return { hadPreamble: false, executablePreamble: false };
  const hadPreamble = preamble.some((b) => b !== 0);
  const executablePreamble = EXECUTABLE_SIGNATURES.some((sig) => sig.every((b, i) => preamble[i] === b));
  return { hadPreamble, executablePreamble };
}

export function readDicomInfo(
  ds: DataSet,
  transferSyntaxUid: string,
  photometric: string,
  preamble: Uint8Array | undefined,
): DicomInfo {
  const decoder = decoderFor(ds);
  const info: DicomInfo = {
    transferSyntaxUid,
    transferSyntaxName: transferSyntaxName(transferSyntaxUid),
    photometric,
    ...describePreamble(preamble),
  };
  const optional: Partial<DicomInfo> = {
    patientId: readText(ds, "x00100020", decoder),
    patientName: readText(ds, "x00100010", decoder),
    acquisition: readAcquisition(ds),
    viewPosition: readString(ds, "x00185101"),
    modality: readString(ds, "x00080060"),
  };
  // Absent stays absent (no `key: undefined`), so callers can spread or serialise the object as is.
  for (const [key, value] of Object.entries(optional) as [keyof DicomInfo, DicomInfo[keyof DicomInfo]][]) {
    if (value !== undefined) Object.assign(info, { [key]: value });
  }
  return info;
}
