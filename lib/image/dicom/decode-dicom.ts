// DICOM to display-ready 8-bit grey. Order matters: cheap header checks (transfer syntax, frames, size) run before
// any pixel is decompressed, so a hostile or oversized file costs next to nothing to refuse.
import { ScanValidationError } from "../errors";
import { assertPixelBudget } from "../limits";
import type { DecodeLimits, DicomInfo } from "../types";
import { colourFrameToGrey, ybrFullToRgb } from "./colour-frame";
import { readDisplayParameters, storedSamples, toDisplayPixels } from "./display";
import { readFrame } from "./frame";
import { readDicomInfo } from "./info";
import { parseDicomBytes } from "./parse";
import { isGrey, readPixelModule } from "./pixel-module";
import { lookupTransferSyntax, transferSyntaxName } from "./transfer-syntax";

export interface DicomResult {
  width: number;
  height: number;
  pixels: Uint8Array;
  sourceBitDepth: number;
  dicom: DicomInfo;
}

/** Room for headers around the largest allowed 16-bit colour frame, for inflating deflated files. */
function inflateCap(limits: DecodeLimits): number {
  return limits.maxPixels * 6 + 16 * 1024 * 1024;
}

export async function decodeDicom(input: Uint8Array, hasPreamble: boolean, limits: DecodeLimits): Promise<DicomResult> {
  const { dataSet: ds, transferSyntaxUid, preamble } = parseDicomBytes(input, hasPreamble, inflateCap(limits));

  const ts = lookupTransferSyntax(transferSyntaxUid);
  if (!ts) {
    throw new ScanValidationError(
      "unsupported_transfer_syntax",
      `This DICOM file is encoded as ${transferSyntaxName(transferSyntaxUid)}, which Radtrack cannot read. ` +
        "Please export it uncompressed, or as JPEG, JPEG-LS, JPEG 2000 or RLE.",
    );
  }
  const element = ds.elements.x7fe00010;
  if (!element) {
    const floatPixels = ds.elements.x7fe00008 ?? ds.elements.x7fe00009;
    throw floatPixels
      ? new ScanValidationError(
          "unsupported_pixel_format",
          "This DICOM image stores floating-point pixels, which Radtrack cannot read.",
        )
      : new ScanValidationError(
          "no_image",
          "This DICOM file holds no image (it may be a report, a presentation state or another non-image object).",
        );
  }
  const pm = readPixelModule(ds);
  if (pm.numberOfFrames > 1) {
    throw new ScanValidationError(
      "multi_frame",
      `This DICOM file holds ${pm.numberOfFrames} images (frames); Radtrack takes one X-ray per file. ` +
        "Please export the single image you want to add.",
    );
  }
  assertPixelBudget(pm.columns, pm.rows, limits.maxPixels, "a DICOM image");

  const frame = await readFrame(ds, element, pm, ts, limits);
  const pixelCount = pm.rows * pm.columns;
  let pixels: Uint8Array;
  if (isGrey(pm)) {
    pixels = toDisplayPixels(storedSamples(frame.bytes, pm), pm, readDisplayParameters(ds, pm));
  } else {
    const rgb =
      frame.colourModel === "ybr" ? ybrFullToRgb(frame.bytes, pixelCount) : frame.bytes.subarray(0, pixelCount * 3);
    pixels = await colourFrameToGrey(rgb, pm.columns, pm.rows);
  }
  return {
    width: pm.columns,
    height: pm.rows,
    pixels,
    sourceBitDepth: pm.bitsStored,
    dicom: readDicomInfo(ds, transferSyntaxUid, pm.photometric, preamble),
  };
}
