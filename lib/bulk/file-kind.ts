// What an uploaded file is, from its first bytes only (names are chosen by the sender): a scan we can read, an
// archive inside the archive (refused: we unpack one level only, so nesting cannot multiply the limits), or something
// else (refused, with what it looks like).
import { detectFileType } from "@/lib/image";

export type FileKind = { ok: true; format: "jpeg" | "png" | "dicom" } | { ok: false; reason: string };

/** Bytes to look at: enough for detectFileType (DICOM marker at 128, text sniffing in the first 512) and tar (257). */
export const HEAD_BYTES = 4096;

const ARCHIVES: { name: string; at?: number; sig: readonly number[] }[] = [
  { name: "a ZIP archive", sig: [0x50, 0x4b, 0x03, 0x04] },
  { name: "a ZIP archive", sig: [0x50, 0x4b, 0x05, 0x06] },
  { name: "a ZIP archive", sig: [0x50, 0x4b, 0x07, 0x08] },
  { name: "a gzip archive", sig: [0x1f, 0x8b] },
  { name: "a bzip2 archive", sig: [0x42, 0x5a, 0x68] },
  { name: "an xz archive", sig: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: "a 7-Zip archive", sig: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { name: "a RAR archive", sig: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  { name: "a Zstandard archive", sig: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: "a tar archive", at: 257, sig: [0x75, 0x73, 0x74, 0x61, 0x72] },
];

export function archiveKind(head: Uint8Array): string | null {
  for (const a of ARCHIVES) {
    const at = a.at ?? 0;
    if (head.length >= at + a.sig.length && a.sig.every((b, i) => head[at + i] === b)) return a.name;
  }
  return null;
}

export function classifyFile(head: Uint8Array): FileKind {
  const detected = detectFileType(head);
  if (detected.kind !== "unsupported") return { ok: true, format: detected.kind };
  const archive = archiveKind(head);
  if (archive) {
    return {
      ok: false,
      reason: `Nested archive (${archive}): unpack it and upload its files, or add them to this zip.`,
    };
  }
  return { ok: false, reason: `Not a JPEG, PNG or DICOM image: this is ${detected.description}.` };
}
