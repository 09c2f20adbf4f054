// Which transfer syntaxes we read, and with what. Anything not listed is refused by name rather than guessed at.

export type FrameCodec =
  | "native"
  | "jpeg-baseline" // 8-bit baseline: sharp (libjpeg-turbo), the same decoder as for uploaded .jpg files
  | "jpeg-ijg" // 12-bit extended and lossless JPEG: dcmjs-codecs (IJG libjpeg 8/12/16-bit builds)
  | "jpeg-ls"
  | "jpeg-2000"
  | "htj2k"
  | "jpeg-xl"
  | "rle";

export interface TransferSyntax {
  uid: string;
  name: string;
  codec: FrameCodec;
  bigEndian: boolean;
  deflated: boolean;
}

function ts(uid: string, name: string, codec: FrameCodec, extra: Partial<TransferSyntax> = {}): TransferSyntax {
  return { uid, name, codec, bigEndian: false, deflated: false, ...extra };
}

const SUPPORTED: readonly TransferSyntax[] = [
  ts("1.2.840.10008.1.2", "Implicit VR Little Endian (uncompressed)", "native"),
  ts("1.2.840.10008.1.2.1", "Explicit VR Little Endian (uncompressed)", "native"),
  ts("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", "native", { deflated: true }),
  ts("1.2.840.10008.1.2.2", "Explicit VR Big Endian (uncompressed, retired)", "native", { bigEndian: true }),
  ts("1.2.840.10008.1.2.4.50", "JPEG Baseline (lossy, 8-bit)", "jpeg-baseline"),
  ts("1.2.840.10008.1.2.4.51", "JPEG Extended (lossy, 12-bit)", "jpeg-ijg"),
  ts("1.2.840.10008.1.2.4.57", "JPEG Lossless (Process 14)", "jpeg-ijg"),
  ts("1.2.840.10008.1.2.4.70", "JPEG Lossless (Process 14, first-order prediction)", "jpeg-ijg"),
  ts("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", "jpeg-ls"),
  ts("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless", "jpeg-ls"),
  ts("1.2.840.10008.1.2.4.90", "JPEG 2000 (lossless only)", "jpeg-2000"),
  ts("1.2.840.10008.1.2.4.91", "JPEG 2000", "jpeg-2000"),
  ts("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (lossless only)", "htj2k"),
  ts("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL options (lossless only)", "htj2k"),
  ts("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", "htj2k"),
  ts("1.2.840.10008.1.2.4.110", "JPEG XL (lossless)", "jpeg-xl"),
  ts("1.2.840.10008.1.2.4.112", "JPEG XL", "jpeg-xl"),
  ts("1.2.840.10008.1.2.5", "RLE Lossless", "rle"),
];

/** Names for syntaxes we recognise but cannot read, so the refusal says what the file is. */
const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  "1.2.840.10008.1.2.4.92": "JPEG 2000 Part 2 multi-component (lossless only)",
  "1.2.840.10008.1.2.4.93": "JPEG 2000 Part 2 multi-component",
  "1.2.840.10008.1.2.4.94": "JPIP referenced (pixel data not in the file)",
  "1.2.840.10008.1.2.4.95": "JPIP referenced deflate (pixel data not in the file)",
  "1.2.840.10008.1.2.4.100": "MPEG-2 video",
  "1.2.840.10008.1.2.4.101": "MPEG-2 video (high level)",
  "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 video",
  "1.2.840.10008.1.2.4.103": "MPEG-4 AVC/H.264 video (BD-compatible)",
  "1.2.840.10008.1.2.4.104": "MPEG-4 AVC/H.264 video (2D)",
  "1.2.840.10008.1.2.4.105": "MPEG-4 AVC/H.264 video (3D)",
  "1.2.840.10008.1.2.4.106": "MPEG-4 AVC/H.264 video (stereo)",
  "1.2.840.10008.1.2.4.107": "HEVC/H.265 video",
  "1.2.840.10008.1.2.4.108": "HEVC/H.265 video (10-bit)",
  "1.2.840.10008.1.2.4.111": "JPEG XL (JPEG recompression)",
};

const BY_UID = new Map(SUPPORTED.map((t) => [t.uid, t]));

export function lookupTransferSyntax(uid: string): TransferSyntax | undefined {
  return BY_UID.get(uid);
}

export function transferSyntaxName(uid: string): string {
  return BY_UID.get(uid)?.name ?? KNOWN_UNSUPPORTED[uid] ?? `unknown (${uid})`;
}

export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
