// Reading the DICOM data set with dicom-parser. dicom-parser throws strings, plain objects and Errors alike; all of
// them become one "damaged file" refusal here, so nothing untyped leaves this module.
import { inflateRawSync } from "node:zlib";
import dicomParser, { type DataSet } from "dicom-parser";
import { formatBytes, ScanValidationError } from "../errors";
import { EXPLICIT_VR_LITTLE_ENDIAN } from "./transfer-syntax";

export interface ParsedDicom {
  dataSet: DataSet;
  transferSyntaxUid: string;
  preamble: Uint8Array | undefined;
}

const PREAMBLE_LENGTH = 128;

/**
 * Deflated data sets are inflated with an output cap: an upload is bounded in size, and its inflated form must be
 * too, or a few MB of zeros could expand into gigabytes (a "zip bomb").
 */
function cappedInflater(maxOutput: number) {
  return (bytes: Uint8Array, position: number): Uint8Array => {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(bytes.subarray(position), { maxOutputLength: maxOutput });
    } catch (error) {
      if (error instanceof RangeError) {
        throw new ScanValidationError(
          "too_large",
          `This compressed (deflated) DICOM file expands to more than ${formatBytes(maxOutput)}, which is over the limit.`,
        );
      }
      throw error;
    }
    const full = new Uint8Array(position + inflated.length);
    full.set(bytes.subarray(0, position), 0);
    full.set(inflated, position);
    return full;
  };
}

export function parseDicomBytes(input: Uint8Array, hasPreamble: boolean, maxInflatedBytes: number): ParsedDicom {
  let bytes = input;
  let options: Parameters<typeof dicomParser.parseDicom>[1] = { inflater: cappedInflater(maxInflatedBytes) };
  if (!hasPreamble) {
    if (bytes[0] === 0x02 && bytes[1] === 0x00) {
      // A file meta group without preamble: give it an empty preamble and marker so the meta group (and the transfer
      // syntax it names) is read the standard way.
      const framed = new Uint8Array(PREAMBLE_LENGTH + 4 + bytes.length);
      framed.set([0x44, 0x49, 0x43, 0x4d], PREAMBLE_LENGTH);
      framed.set(bytes, PREAMBLE_LENGTH + 4);
      bytes = framed;
    } else {
      // A bare data set: detection only lets explicit-VR little-endian ones through.
      options = { ...options, TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN };
    }
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, options);
  } catch (error) {
    if (error instanceof ScanValidationError) throw error;
    const inner = (error as { exception?: unknown } | null)?.exception;
    if (inner instanceof ScanValidationError) throw inner;
    throw new ScanValidationError(
      "corrupt",
      "This DICOM file is damaged or incomplete (its data could not be read to the end). Please export it again.",
    );
  }
  const transferSyntaxUid = readString(dataSet, "x00020010") ?? EXPLICIT_VR_LITTLE_ENDIAN;
  return {
    dataSet,
    transferSyntaxUid,
    preamble: hasPreamble ? input.subarray(0, PREAMBLE_LENGTH) : undefined,
  };
}

/** dicom-parser's accessors throw on odd element lengths; a bad optional tag should read as "absent", not crash. */
export function readString(ds: DataSet, tag: string): string | undefined {
  try {
    const value = ds.string(tag)?.replace(/\0/g, "").trim();
    return value ? value : undefined;
  } catch {
    return undefined;
  }
}

export function readUint16(ds: DataSet, tag: string): number | undefined {
  const element = ds.elements[tag];
  if (!element || element.length < 2) return undefined;
  try {
    return ds.uint16(tag);
  } catch {
    return undefined;
  }
}

/** DS/IS values: "\"-separated numbers; `index` picks one (window centre/width may list several). */
export function readNumber(ds: DataSet, tag: string, index = 0): number | undefined {
  const text = readString(ds, tag);
  if (text === undefined) return undefined;
  const part = text.split("\\")[index];
  if (part === undefined || part.trim() === "") return undefined;
  const value = Number(part.trim());
  return Number.isFinite(value) ? value : undefined;
}
