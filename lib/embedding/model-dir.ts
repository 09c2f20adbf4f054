// Where the model lives is configuration (RADTRACK_MODEL_DIR), so swapping in a trained model is a setting, not a
// code change. The descriptor may point at an ONNX file elsewhere (the shared folder) so large weights are not
// copied into the repository.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { EmbeddingConfigError, errorMessage } from "./errors";
import { expandSearchDir, parseModelDescriptor, type ModelDescriptor } from "./model-contract";
import { DEFAULT_MODEL_DIR } from "./model-location";

export { DEFAULT_MODEL_DIR, IMAGENET_MODEL_DIR, resolveModelDir } from "./model-location";

export interface ModelFolder {
  modelDir: string;
  descriptorPath: string;
  descriptor: ModelDescriptor;
  /** Absolute path of the ONNX file that was found. */
  onnxPath: string;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function loadModelFolder(modelDir: string, sharedDir: string): Promise<ModelFolder> {
  const descriptorPath = path.join(modelDir, "model.json");
  let text: string;
  try {
    text = await readFile(descriptorPath, "utf8");
  } catch (error) {
    throw new EmbeddingConfigError(
      `cannot read ${descriptorPath} (model folder from RADTRACK_MODEL_DIR or the default ${DEFAULT_MODEL_DIR}): ` +
        errorMessage(error),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EmbeddingConfigError(`${descriptorPath} is not valid JSON: ${errorMessage(error)}`);
  }
  const descriptor = parseModelDescriptor(json, descriptorPath);

  // Next to model.json first: a trained model ships its own model.onnx and needs no search path.
  const dirs = [modelDir, ...descriptor.onnx.searchDirs.map((d) => expandSearchDir(d, modelDir, { sharedDir }))];
  const tried: string[] = [];
  for (const dir of dirs) {
    const candidate = path.resolve(dir, descriptor.onnx.file);
    tried.push(candidate);
    if (await isFile(candidate)) return { modelDir, descriptorPath, descriptor, onnxPath: candidate };
  }
  throw new EmbeddingConfigError(
    `ONNX file "${descriptor.onnx.file}" for ${descriptor.id} not found; looked in:\n` +
      tried.map((p) => `  - ${p}`).join("\n") +
      "\n(set RADTRACK_SHARED_DIR if the shared folder is elsewhere)",
  );
}
