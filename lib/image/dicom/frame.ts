// Gets the single frame's samples out of the data set, whatever the transfer syntax, in one layout: little endian,
// samples interleaved (RGBRGB...). Everything after this step is independent of how the file was compressed.
import type { DataSet, Element } from "dicom-parser";
import dicomParser from "dicom-parser";
import sharp from "sharp";
import { ScanValidationError } from "../errors";
import type { DecodeLimits } from "../types";
import { decodeFrameWithWasm } from "./codecs";
import { frameByteLength, type PixelModule } from "./pixel-module";
import type { TransferSyntax } from "./transfer-syntax";

export interface DecodedFrame {
  /** Little endian, interleaved, frameByteLength(pm) bytes. */
  bytes: Uint8Array;
  /** What the colour samples mean after decoding: JPEG baseline and JPEG 2000 decoders already return RGB. */
  colourModel: "grey" | "rgb" | "ybr";
}

function damaged(detail: string): ScanValidationError {
  return new ScanValidationError(
    "corrupt",
    `The image data in this DICOM file is damaged or incomplete (${detail}). Please export it again.`,
  );
}

function nativeFrame(ds: DataSet, element: Element, pm: PixelModule, ts: TransferSyntax): Uint8Array {
  const length = frameByteLength(pm);
  if (element.length < length || element.dataOffset + length > ds.byteArray.length) {
    throw damaged(`${element.length} bytes of pixel data where the image needs ${length}`);
  }
  // Always a copy: the frame must never alias the uploaded bytes.
  const bytes = new Uint8Array(ds.byteArray.subarray(element.dataOffset, element.dataOffset + length));
  // Big endian OW data is stored byte-swapped per 16-bit word, even when the samples themselves are 8-bit.
  if (ts.bigEndian && (pm.bitsAllocated === 16 || element.vr === "OW")) {
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const a = bytes[i]!;
      bytes[i] = bytes[i + 1]!;
      bytes[i + 1] = a;
    }
  }
  return pm.planarConfiguration === 1 && pm.samplesPerPixel === 3 ? interleave(bytes, pm.rows * pm.columns) : bytes;
}

/** RRR...GGG...BBB... to RGBRGB... (8-bit colour only, which is all pixel-module lets through). */
export function interleave(planar: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = planar[i]!;
    out[i * 3 + 1] = planar[pixels + i]!;
    out[i * 3 + 2] = planar[2 * pixels + i]!;
  }
  return out;
}

function encapsulatedFrame(ds: DataSet, element: Element): Uint8Array {
  const fragments = element.fragments ?? [];
  if (fragments.length === 0) throw damaged("the compressed image is missing");
  try {
    // Single-frame files only reach this point, so every fragment belongs to frame 0.
    return new Uint8Array(dicomParser.readEncapsulatedPixelDataFromFragments(ds, element, 0, fragments.length));
  } catch {
    throw damaged("the compressed image fragments are cut off");
  }
}

async function decodeBaselineWithSharp(
  encoded: Uint8Array,
  pm: PixelModule,
  limits: DecodeLimits,
): Promise<Uint8Array> {
  const image = sharp(Buffer.from(encoded), { failOn: "error", limitInputPixels: limits.maxPixels });
  const out = pm.samplesPerPixel === 1 ? image.toColourspace("b-w") : image.toColourspace("srgb").removeAlpha();
  const { data, info } = await out.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== pm.columns || info.height !== pm.rows || info.channels !== pm.samplesPerPixel) {
    throw damaged(`the JPEG inside is ${info.width} x ${info.height}, the file says ${pm.columns} x ${pm.rows}`);
  }
  return new Uint8Array(data);
}

export async function readFrame(
  ds: DataSet,
  element: Element,
  pm: PixelModule,
  ts: TransferSyntax,
  limits: DecodeLimits,
): Promise<DecodedFrame> {
  const grey = pm.samplesPerPixel === 1;
  if (ts.codec === "native") {
    if (pm.photometric === "YBR_FULL_422") {
      throw new ScanValidationError(
        "unsupported_pixel_format",
        "This DICOM image stores uncompressed colour with reduced colour resolution (YBR_FULL_422), which Radtrack cannot read.",
      );
    }
    if (element.encapsulatedPixelData) throw damaged("compressed data under an uncompressed transfer syntax");
    return {
      bytes: nativeFrame(ds, element, pm, ts),
      colourModel: grey ? "grey" : pm.photometric === "RGB" ? "rgb" : "ybr",
    };
  }
  if (!element.encapsulatedPixelData) throw damaged("uncompressed data under a compressed transfer syntax");
  const encoded = encapsulatedFrame(ds, element);

  let bytes: Uint8Array;
  let colourModel: DecodedFrame["colourModel"];
  try {
    if (ts.codec === "jpeg-baseline" && pm.bitsAllocated === 8) {
      bytes = await decodeBaselineWithSharp(encoded, pm, limits);
      colourModel = grey ? "grey" : "rgb";
    } else {
      const codec = ts.codec === "jpeg-baseline" ? "jpeg-ijg" : ts.codec;
      bytes = await decodeFrameWithWasm(codec, encoded, {
        width: pm.columns,
        height: pm.rows,
        bitsAllocated: pm.bitsAllocated,
        bitsStored: pm.bitsStored,
        samplesPerPixel: pm.samplesPerPixel,
        pixelRepresentation: pm.signed ? 1 : 0,
        planarConfiguration: pm.planarConfiguration,
        photometric: pm.photometric,
      });
      // JPEG 2000 / HTJ2K / JPEG XL undo their colour transform themselves; the others return the stored model.
      colourModel = grey
        ? "grey"
        : ["jpeg-2000", "htj2k", "jpeg-xl"].includes(codec) || pm.photometric === "RGB"
          ? "rgb"
          : "ybr";
      // RLE keeps colour in separate planes when the file says so.
      if (!grey && codec === "rle" && pm.planarConfiguration === 1) bytes = interleave(bytes, pm.rows * pm.columns);
    }
  } catch (error) {
    if (error instanceof ScanValidationError) throw error;
    throw damaged(`the ${ts.name} data could not be decoded`);
  }
  if (bytes.length < frameByteLength(pm)) {
    throw damaged(`the decoder returned ${bytes.length} bytes where the image needs ${frameByteLength(pm)}`);
  }
  return { bytes, colourModel };
}
