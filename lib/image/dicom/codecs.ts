// dcmjs-codecs: WASM builds of IJG libjpeg, CharLS, OpenJPEG, OpenJPH, libjxl and an RLE decoder.
//
// A decoder that traps on bad input (WebAssembly "unreachable") leaves the module's internal state damaged: in our
// tests, some tens of bad frames later every call hung forever. So after any failed decode the module is thrown
// away and a fresh instance is created before the next call (about 50-100 ms, only on bad input).
import dcmjsCodecs from "dcmjs-codecs";
import type { FrameCodec } from "./transfer-syntax";

const { NativeCodecs, Context } = dcmjsCodecs;

export interface FrameGeometry {
  width: number;
  height: number;
  bitsAllocated: number;
  bitsStored: number;
  samplesPerPixel: number;
  pixelRepresentation: number;
  planarConfiguration: number;
  photometric: string;
}

let ready: Promise<void> | undefined;

function initialise(): Promise<void> {
  const attempt = NativeCodecs.initializeAsync();
  // A failed start must not stick: the next scan tries again.
  attempt.catch(() => {
    if (ready === attempt) ready = undefined;
  });
  return attempt;
}

async function codecsReady(): Promise<void> {
  for (;;) {
    const current = (ready ??= initialise());
    await current;
    // If another scan's failure replaced the instance while we waited, wait for the replacement.
    if (current === ready) return;
  }
}

type WasmCodec = Exclude<FrameCodec, "native" | "jpeg-baseline">;

function run(codec: WasmCodec, context: InstanceType<typeof Context>): InstanceType<typeof Context> {
  switch (codec) {
    case "jpeg-ijg":
      // Colour lossless JPEG is stored as RGB; libjpeg must not "convert" it again.
      return NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: false });
    case "jpeg-ls":
      return NativeCodecs.decodeJpegLs(context);
    case "jpeg-2000":
      return NativeCodecs.decodeJpeg2000(context);
    case "htj2k":
      return NativeCodecs.decodeHtJpeg2000(context);
    case "jpeg-xl":
      return NativeCodecs.decodeJpegXl(context);
    case "rle":
      return NativeCodecs.decodeRle(context);
  }
}

/** Decodes one compressed frame to the raw sample layout of native DICOM pixel data (little endian). */
export async function decodeFrameWithWasm(
  codec: WasmCodec,
  encoded: Uint8Array,
  g: FrameGeometry,
): Promise<Uint8Array> {
  await codecsReady();
  const context = new Context({
    width: g.width,
    height: g.height,
    bitsAllocated: g.bitsAllocated,
    bitsStored: g.bitsStored,
    samplesPerPixel: g.samplesPerPixel,
    pixelRepresentation: g.pixelRepresentation,
    planarConfiguration: g.planarConfiguration,
    photometricInterpretation: g.photometric,
    encodedBuffer: encoded,
  });
  try {
    const decoded = run(codec, context).getDecodedBuffer();
    if (!decoded) throw new Error("decoder returned no pixels");
    return decoded;
  } catch (error) {
    ready = initialise();
    throw error;
  }
}
