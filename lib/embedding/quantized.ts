// An int8 copy of the float model runs in its place on the CPU provider, where integer kernels are more than twice
// as fast (models/radtrack_cxr_v3_int8/MODEL_CARD.md); GPU providers keep the float graph. The copy lives in the
// sibling folder `<float folder>_int8` and is used only when its model.json names this exact float model (id and
// sha256): a copy made from other weights would silently give other vectors.
import { access } from "node:fs/promises";
import path from "node:path";
import { errorMessage } from "./errors";
import type { ModelDescriptor } from "./model-contract";
import { loadModelFolder, type ModelFolder } from "./model-dir";
import type { ExecutionProvider } from "./providers";

export const INT8_FOLDER_SUFFIX = "_int8";

/** Where the int8 copy of a float model folder lives. */
export function int8FolderFor(floatDir: string): string {
  return path.join(path.dirname(floatDir), path.basename(floatDir) + INT8_FOLDER_SUFFIX);
}

/** Why `candidate` may not stand in for `float`; null when it may. */
export function int8Mismatch(candidate: ModelDescriptor, float: ModelDescriptor): string | null {
  if (candidate.quantization !== "int8") return `${candidate.id} does not say "quantization": "int8"`;
  const eq = candidate.equivalentTo;
  if (!eq || eq.id !== float.id || eq.sha256 !== float.sha256) {
    return `${candidate.id} was made from ${eq ? `${eq.id} (sha256 ${eq.sha256.slice(0, 12)}…)` : "no named model"}, not from ${float.id} (sha256 ${float.sha256.slice(0, 12)}…)`;
  }
  // The engine reads the float contract for both graphs: every field that shapes the input or names an output
  // must be the same.
  for (const key of ["input", "grey", "resize", "normalize", "output", "dims", "heads"] as const) {
    if (JSON.stringify(candidate[key]) !== JSON.stringify(float[key])) {
      return `${candidate.id} differs from ${float.id} in "${key}"`;
    }
  }
  return null;
}

export type Int8Lookup =
  | { found: true; folder: ModelFolder }
  | { found: false; /** Set when a folder is there but cannot be used: worth a warning. */ problem?: string };

/** The usable int8 copy of `float`, if its sibling folder holds one. */
export async function findInt8Copy(float: ModelFolder, sharedDir: string): Promise<Int8Lookup> {
  if (float.descriptor.quantization) return { found: false };
  const dir = int8FolderFor(float.modelDir);
  try {
    await access(path.join(dir, "model.json"));
  } catch {
    return { found: false };
  }
  let folder: ModelFolder;
  try {
    folder = await loadModelFolder(dir, sharedDir);
  } catch (error) {
    return { found: false, problem: `${dir}: ${errorMessage(error)}` };
  }
  const mismatch = int8Mismatch(folder.descriptor, float.descriptor);
  return mismatch ? { found: false, problem: `${dir}: ${mismatch}` } : { found: true, folder };
}

/** The graph to run on `provider`: the int8 copy on the CPU when enabled and present, the float model otherwise. */
export function folderForProvider(
  provider: ExecutionProvider,
  float: ModelFolder,
  int8: ModelFolder | null,
  enabled: boolean,
): ModelFolder {
  return provider === "cpu" && enabled && int8 ? int8 : float;
}
