// File type from content only. Names and browser-supplied MIME types are chosen by whoever sends the file, so they
// are never consulted.

export type DetectedType =
  | { kind: "jpeg" }
  | { kind: "png" }
  | { kind: "dicom"; preamble: "present" | "absent" }
  | { kind: "unsupported"; description: string };

const DICOM_PREAMBLE_LENGTH = 128;

function startsWith(buf: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (buf.length < offset + bytes.length) return false;
  return bytes.every((b, i) => buf[offset + i] === b);
}

function ascii(buf: Uint8Array, offset: number, length: number): string {
  if (buf.length < offset + length) return "";
  return String.fromCharCode(...buf.subarray(offset, offset + length));
}

// Value representations a DICOM writer may use for the first elements of a data set. Requiring one of them right
// after a plausible tag keeps random binaries from being taken for preamble-less DICOM.
const FIRST_ELEMENT_VRS = new Set(["UL", "OB", "UI", "CS", "SH", "LO", "DA", "TM", "ST", "AE", "IS", "DS", "PN", "US"]);

/**
 * A DICOM stream written without preamble and "DICM" (some gateways do this). Only the explicit-VR little-endian
 * form starting with the meta group (0002) or the identifying group (0008) is recognised: it has a fixed shape
 * (tag, two upper-case VR letters) that other formats do not share. Implicit-VR streams have no such signature and
 * are refused rather than guessed at.
 */
function looksLikeRawDicom(buf: Uint8Array): boolean {
  if (buf.length < 8) return false;
  const group = (buf[0] ?? 0) | ((buf[1] ?? 0) << 8);
  if (group !== 0x0002 && group !== 0x0008) return false;
  const element = (buf[2] ?? 0) | ((buf[3] ?? 0) << 8);
  if (element > 0x0100) return false;
  return FIRST_ELEMENT_VRS.has(ascii(buf, 4, 2));
}

function describeUnsupported(buf: Uint8Array): string {
  if (buf.length === 0) return "an empty file";
  if (startsWith(buf, [0x47, 0x49, 0x46, 0x38])) return "a GIF image";
  if (startsWith(buf, [0x25, 0x50, 0x44, 0x46])) return "a PDF document";
  if (startsWith(buf, [0x50, 0x4b, 0x03, 0x04]) || startsWith(buf, [0x50, 0x4b, 0x05, 0x06]))
    return "a ZIP archive (or an Office document)";
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return "a TIFF image";
  if (ascii(buf, 0, 4) === "RIFF" && ascii(buf, 8, 4) === "WEBP") return "a WebP image";
  if (ascii(buf, 4, 4) === "ftyp") return "an HEIC/AVIF image or a video";
  if (startsWith(buf, [0x42, 0x4d])) return "a BMP image";
  if (startsWith(buf, [0x4d, 0x5a])) return "a Windows program";
  if (startsWith(buf, [0x7f, 0x45, 0x4c, 0x46])) return "a Linux program";
  const head = new TextDecoder("utf-8", { fatal: false }).decode(buf.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "an SVG drawing";
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return "a web page (HTML)";
  if (head.startsWith("<?xml")) return "an XML document";
  if (isMostlyText(buf.subarray(0, 512))) return "a text file";
  return "a file of an unknown type";
}

function isMostlyText(sample: Uint8Array): boolean {
  if (sample.length === 0) return false;
  let printable = 0;
  for (const b of sample) {
    if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f)) printable++;
  }
  return printable / sample.length > 0.95;
}

export function detectFileType(buf: Uint8Array): DetectedType {
  // DICOM first: the standard lets the preamble hold anything (even bytes that look like a JPEG or a program), so the
  // "DICM" marker is the authoritative signal.
  if (ascii(buf, DICOM_PREAMBLE_LENGTH, 4) === "DICM") return { kind: "dicom", preamble: "present" };
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return { kind: "jpeg" };
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: "png" };
  if (looksLikeRawDicom(buf)) return { kind: "dicom", preamble: "absent" };
  return { kind: "unsupported", description: describeUnsupported(buf) };
}
