// GreyImage -> the model's input tensor, exactly as model.json says. Any drift here (kernel, crop, normalisation)
// changes every vector, so the steps are driven by the descriptor and nothing else.
import os from "node:os";
import sharp from "sharp";
import type { ModelDescriptor, ResizeSpec } from "./model-contract";
import { assertGreyImage, type GreyImage } from "./types";

export type PreprocessSpec = Pick<ModelDescriptor, "resize" | "normalize" | "grey" | "input">;

export interface Preprocessor {
  /** Side of the square model input. */
  readonly size: number;
  /** Floats per image in the NCHW tensor (3 * size * size). */
  readonly valuesPerImage: number;
  /** Writes one image at `offset` (in floats) of a batch tensor. */
  into(image: GreyImage, out: Float32Array, offset: number): Promise<void>;
  /** One image as a [1,3,size,size] tensor. */
  one(image: GreyImage): Promise<Float32Array>;
  /** Writes image i at i * valuesPerImage; returns each image's error (undefined = written) instead of throwing. */
  intoMany(images: readonly GreyImage[], out: Float32Array): Promise<Array<Error | undefined>>;
  /** Several images as one [N,3,size,size] tensor. */
  batch(images: readonly GreyImage[]): Promise<Float32Array>;
}

// libvips parallelises inside each resize; a few pipelines at once keep the cores busy, more only add contention
// and hold more full-size intermediate images in memory.
const PARALLEL_RESIZES = Math.max(2, os.availableParallelism());

async function resizeGrey(image: GreyImage, resize: ResizeSpec): Promise<Uint8Array> {
  const { size, kernel } = resize;
  const side = resize.mode === "shorter-side-crop" ? (resize.shorterSide ?? size) : size;
  // Already the right size and nothing to crop: sharp would return the same bytes, skip the round trip.
  if (image.width === size && image.height === size && side === size) return image.pixels;

  let pipeline = sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 1 } });
  if (resize.mode === "fill") {
    pipeline = pipeline.resize(size, size, { fit: "fill", kernel });
  } else {
    // cover on a square target = shorter side to `side` plus a centre square crop; then the inner size x size.
    pipeline = pipeline.resize(side, side, { fit: "cover", position: "centre", kernel });
    if (side > size) {
      const margin = Math.floor((side - size) / 2);
      pipeline = pipeline.extract({ left: margin, top: margin, width: size, height: size });
    }
  }
  // Without b-w, sharp hands back three identical sRGB channels: three times the bytes for nothing.
  const { data, info } = await pipeline.toColourspace("b-w").raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 1) {
    throw new Error(`resize produced ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x1`);
  }
  return data;
}

export function createPreprocessor(spec: PreprocessSpec): Preprocessor {
  const size = spec.resize.size;
  const plane = size * size;
  const valuesPerImage = 3 * plane;
  // 256 possible grey values: a lookup table per channel turns normalisation into one load per value.
  const luts = [0, 1, 2].map((c) => {
    const mean = spec.normalize.mean[c] ?? 0;
    const std = spec.normalize.std[c] ?? 1;
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v - mean) / std;
    return lut;
  });

  async function into(image: GreyImage, out: Float32Array, offset: number): Promise<void> {
    assertGreyImage(image);
    if (offset < 0 || offset + valuesPerImage > out.length) {
      throw new RangeError(`offset ${offset} leaves no room for ${valuesPerImage} values in ${out.length}`);
    }
    const grey = await resizeGrey(image, spec.resize);
    // grey: "replicate": the same grey plane in R, G and B, each with its own mean/std.
    for (let c = 0; c < 3; c++) {
      const lut = luts[c]!;
      const base = offset + c * plane;
      for (let i = 0; i < plane; i++) out[base + i] = lut[grey[i]!]!;
    }
  }

  async function intoMany(images: readonly GreyImage[], out: Float32Array): Promise<Array<Error | undefined>> {
    const errors: Array<Error | undefined> = new Array<Error | undefined>(images.length).fill(undefined);
    let next = 0;
    const worker = async () => {
      while (next < images.length) {
        const i = next++;
        try {
          await into(images[i]!, out, i * valuesPerImage);
        } catch (error) {
          errors[i] = error instanceof Error ? error : new Error(String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_RESIZES, images.length) }, worker));
    return errors;
  }

  return {
    size,
    valuesPerImage,
    into,
    async one(image) {
      const out = new Float32Array(valuesPerImage);
      await into(image, out, 0);
      return out;
    },
    intoMany,
    async batch(images) {
      const out = new Float32Array(valuesPerImage * images.length);
      const failure = (await intoMany(images, out)).find((e) => e !== undefined);
      if (failure) throw failure;
      return out;
    },
  };
}
