// Public shapes of the image module. Everything downstream (embeddings, previews, storage) works from
// `DecodedScan.pixels`, never from the uploaded bytes.

export type ScanFormat = "jpeg" | "png" | "dicom";

export interface DecodeLimits {
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Largest accepted image, in pixels (width x height), checked from the header before decoding. */
  maxPixels: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPixels: 50_000_000,
});

/** The date tags a DICOM file may carry, in the order that decides which one says when the film was taken. */
export type DicomDateTag = "AcquisitionDate" | "ContentDate" | "StudyDate";

/** The first date tag a file carries, as written, with the time tag that goes with it (AcquisitionTime, ...). */
export interface DicomAcquisition {
  tag: DicomDateTag;
  date: string;
  time?: string;
}

export interface DicomInfo {
  transferSyntaxUid: string;
  transferSyntaxName: string;
  photometric: string;
  patientId?: string;
  /** As stored (DICOM person name: components separated by "^"). */
  patientName?: string;
  /** AcquisitionDate, else ContentDate, else StudyDate, as written, with its time tag (unchecked). */
  acquisition?: DicomAcquisition;
  viewPosition?: string;
  modality?: string;
  /**
   * True when the 128-byte preamble held anything but zeros (some tools put a TIFF header there; an attacker may
   * put an executable). Those bytes are ignored and never returned.
   */
  hadPreamble: boolean;
  /** True when the preamble starts like a Windows (MZ) or Linux/ELF executable: worth logging as suspicious. */
  executablePreamble: boolean;
}

/**
 * Times a piece of work under a step name (benchmarks: busy ms per film by step). Decoding names "validate" (sniffing
 * the type, reading the header, the colour and signal checks) and "decode pixels".
 */
export type StepClock = <T>(step: string, work: () => Promise<T>) => Promise<T>;

/** Runs the work untimed. */
export const untimed: StepClock = (_step, work) => work();

export interface DecodedScan {
  format: ScanFormat;
  width: number;
  height: number;
  /** 8-bit grey, row-major, width*height, 0 = black; display-ready after windowing / inversion. */
  pixels: Uint8Array;
  /** Bits per sample of the stored image (8 for JPEG, 8 or 16 for PNG, BitsStored for DICOM). */
  sourceBitDepth: number;
  /**
   * The image's own size, when its pixels were decoded smaller than that (a large JPEG decoded at the size needed,
   * DecodeOptions.maxSide); absent when width and height are the image's own.
   */
  fullSize?: { width: number; height: number };
  dicom?: DicomInfo;
}
