// The Image Pixel module (rows, columns, bit layout, photometric interpretation), validated once so the decoders
// can trust it. Anything outside what chest radiographs use is refused with a reason rather than half-supported.
import type { DataSet } from "dicom-parser";
import { ScanValidationError } from "../errors";
import { readNumber, readString, readUint16 } from "./parse";

export type GreyPhotometric = "MONOCHROME1" | "MONOCHROME2";
export type ColourPhotometric = "RGB" | "YBR_FULL" | "YBR_FULL_422" | "YBR_ICT" | "YBR_RCT";

export interface PixelModule {
  rows: number;
  columns: number;
  samplesPerPixel: 1 | 3;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  planarConfiguration: 0 | 1;
  photometric: GreyPhotometric | ColourPhotometric;
  numberOfFrames: number;
}

const COLOUR: readonly string[] = ["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT"];

function unsupported(message: string): ScanValidationError {
  return new ScanValidationError("unsupported_pixel_format", message);
}

export function readPixelModule(ds: DataSet): PixelModule {
  const rows = readUint16(ds, "x00280010");
  const columns = readUint16(ds, "x00280011");
  if (!rows || !columns) {
    throw new ScanValidationError(
      "corrupt",
      "This DICOM file does not state the size of its image: the file is damaged.",
    );
  }
  const photometricText = (readString(ds, "x00280004") ?? "MONOCHROME2").toUpperCase();
  if (photometricText === "PALETTE COLOR") {
    throw new ScanValidationError(
      "not_radiograph",
      "This DICOM image uses a colour palette, which X-rays never do. Please upload the X-ray image itself.",
    );
  }
  const grey = photometricText === "MONOCHROME1" || photometricText === "MONOCHROME2";
  if (!grey && !COLOUR.includes(photometricText)) {
    throw unsupported(`This DICOM image uses the "${photometricText}" colour model, which Radtrack cannot display.`);
  }
  const samplesPerPixel = readUint16(ds, "x00280002") ?? (grey ? 1 : 3);
  if (samplesPerPixel !== (grey ? 1 : 3)) {
    throw new ScanValidationError(
      "corrupt",
      `This DICOM image says it is ${photometricText} but has ${samplesPerPixel} samples per pixel: the file is inconsistent.`,
    );
  }
  const bitsAllocated = readUint16(ds, "x00280100") ?? 16;
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw unsupported(`This DICOM image stores ${bitsAllocated} bits per sample; Radtrack reads 8- and 16-bit images.`);
  }
  if (!grey && bitsAllocated !== 8) {
    throw unsupported("This DICOM image is a 16-bit colour image; Radtrack reads colour DICOM only at 8 bits.");
  }
  const bitsStored = readUint16(ds, "x00280101") ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new ScanValidationError(
      "corrupt",
      `This DICOM image claims ${bitsStored} stored bits in ${bitsAllocated}-bit samples: the file is inconsistent.`,
    );
  }
  const declaredHighBit = readUint16(ds, "x00280102");
  // A high bit that would push samples outside their container is a writer bug; the usual layout is the safe reading.
  const highBit =
    declaredHighBit !== undefined && declaredHighBit >= bitsStored - 1 && declaredHighBit < bitsAllocated
      ? declaredHighBit
      : bitsStored - 1;
  const numberOfFrames = Math.max(1, Math.trunc(readNumber(ds, "x00280008") ?? 1));
  return {
    rows,
    columns,
    samplesPerPixel: grey ? 1 : 3,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: readUint16(ds, "x00280103") === 1,
    planarConfiguration: readUint16(ds, "x00280006") === 1 ? 1 : 0,
    photometric: photometricText as PixelModule["photometric"],
    numberOfFrames,
  };
}

export function isGrey(pm: PixelModule): pm is PixelModule & { photometric: GreyPhotometric } {
  return pm.photometric === "MONOCHROME1" || pm.photometric === "MONOCHROME2";
}

/** Bytes of one uncompressed frame. */
export function frameByteLength(pm: PixelModule): number {
  return pm.rows * pm.columns * pm.samplesPerPixel * (pm.bitsAllocated / 8);
}
