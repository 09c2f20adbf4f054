import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { config } from "../config";
import { parseModelDescriptor, type ModelDescriptorInput } from "./model-contract";
import { IMAGENET_MODEL_DIR, loadModelFolder, resolveModelDir } from "./model-dir";

const repoModelDir = path.resolve(IMAGENET_MODEL_DIR);
const temps: string[] = [];
afterAll(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

async function repoDescriptor(): Promise<ModelDescriptorInput> {
  return JSON.parse(await readFile(path.join(repoModelDir, "model.json"), "utf8")) as ModelDescriptorInput;
}

describe("model contract", () => {
  it("accepts the in-repo MobileNetV2 descriptor and finds its ONNX in the shared folder", async () => {
    const folder = await loadModelFolder(repoModelDir, config().sharedDir);
    expect(folder.descriptor.id).toBe("mobilenet_v2_imagenet@1");
    expect(folder.descriptor.dims).toBe(1280);
    expect(folder.onnxPath).toBe(path.join(config().sharedDir, "models", "mobilenet_v2_imagenet", "features.onnx"));
    // No machine-specific path is committed.
    expect(JSON.stringify(await repoDescriptor())).not.toContain(config().sharedDir);
  });

  it("rejects absolute paths, unknown placeholders and inconsistent fields, naming each problem", async () => {
    const d = await repoDescriptor();
    const bad = {
      ...d,
      id: "mobilenet_v2_imagenet@2",
      onnx: { file: "/opt/models/features.onnx", searchDirs: ["${sharedDri}/models"] },
      resize: { mode: "fill", size: 256, kernel: "lanczos3" },
    };
    let message = "";
    try {
      parseModelDescriptor(bad, "bad/model.json");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("bad/model.json is not a valid model descriptor");
    expect(message).toMatch(/onnx\.file: must be a relative path/);
    expect(message).toContain("unknown placeholder ${sharedDri}");
    expect(message).toContain('id: must end with "@1"');
    expect(message).toMatch(/resize\.size: resize\.size 256 does not match input\.shape 224 x 224/);
  });

  it("reads a quantized copy's link to its float model, and refuses one without the other", async () => {
    const d = await repoDescriptor();
    const link = { id: d.id, sha256: d.sha256 };
    const copy = parseModelDescriptor({ ...d, id: "copy_int8@1", quantization: "int8", equivalentTo: link }, "q");
    expect(copy.quantization).toBe("int8");
    expect(copy.equivalentTo).toEqual(link);
    expect(() => parseModelDescriptor({ ...d, quantization: "int8" }, "q")).toThrow(/quantization and equivalentTo/);
    expect(() => parseModelDescriptor({ ...d, equivalentTo: link }, "q")).toThrow(/quantization and equivalentTo/);
    expect(() => parseModelDescriptor({ ...d, quantization: "int4", equivalentTo: link }, "q")).toThrow(/quantization/);
  });

  it("rejects unknown keys (typos must not be silently ignored)", async () => {
    const d = await repoDescriptor();
    expect(() => parseModelDescriptor({ ...d, normalise: d.normalize }, "x")).toThrow(/normalise/);
  });

  it("prefers an ONNX file next to model.json and lists every place it looked when none exists", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "radtrack-model-"));
    temps.push(dir);
    const d = await repoDescriptor();
    await writeFile(
      path.join(dir, "model.json"),
      JSON.stringify({ ...d, onnx: { file: "model.onnx", searchDirs: ["../elsewhere"] } }),
    );
    await expect(loadModelFolder(dir, config().sharedDir)).rejects.toThrow(
      new RegExp(`model\\.onnx.*not found[\\s\\S]*${path.join(dir, "model.onnx")}[\\s\\S]*elsewhere`),
    );
    await writeFile(path.join(dir, "model.onnx"), "x");
    expect((await loadModelFolder(dir, config().sharedDir)).onnxPath).toBe(path.join(dir, "model.onnx"));
  });

  it("reads the model folder from RADTRACK_MODEL_DIR, defaulting to the trained Radtrack model", () => {
    expect(resolveModelDir({}, "/srv/app")).toBe("/srv/app/models/radtrack_cxr_v3");
    expect(resolveModelDir({ RADTRACK_MODEL_DIR: "models/cxr@3" }, "/srv/app")).toBe("/srv/app/models/cxr@3");
    expect(resolveModelDir({ RADTRACK_MODEL_DIR: "/data/m" }, "/srv/app")).toBe("/data/m");
  });
});
