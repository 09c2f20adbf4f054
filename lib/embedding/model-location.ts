// Where the model lives is configuration (RADTRACK_MODEL_DIR), so swapping in a trained model is a setting, not a
// code change. Apart from model-dir.ts so that lib/config.ts can resolve it without loading the contract parser.
import path from "node:path";

/**
 * Radtrack's own chest X-ray model (models/radtrack_cxr_v3/MODEL_CARD.md): embedding, extent on the readers' 0-8
 * scale with its interval, and the frontal-film gate. Relative to the working directory (the repo root). Its
 * predecessor (models/radtrack_cxr_v2, embedding only) and the ImageNet MobileNetV2 baseline stay available.
 */
export const DEFAULT_MODEL_DIR = "models/radtrack_cxr_v3";

/** The ImageNet baseline: tests that pin exact dimensions and ids use it explicitly. */
export const IMAGENET_MODEL_DIR = "models/mobilenet_v2_imagenet";

export function resolveModelDir(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): string {
  const raw = env.RADTRACK_MODEL_DIR?.trim();
  return path.resolve(cwd, raw ? raw : DEFAULT_MODEL_DIR);
}
