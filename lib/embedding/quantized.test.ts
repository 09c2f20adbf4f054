// Which graph runs where: the int8 copy only on the CPU, only when switched on, and only when its model.json names
// the float model in use (id and sha256) with the same contract.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { config } from "../config";
import { parseModelDescriptor, type ModelDescriptor, type ModelDescriptorInput } from "./model-contract";
import { loadModelFolder, type ModelFolder } from "./model-dir";
import { findInt8Copy, folderForProvider, int8FolderFor, int8Mismatch } from "./quantized";
import { embeddingSettings } from "./settings";

const FLOAT_DIR = path.resolve("models/radtrack_cxr_v3");
let root: string;
let floatJson: ModelDescriptorInput;
let float: ModelDescriptor;

function int8Json(overrides: Partial<ModelDescriptorInput> = {}): ModelDescriptorInput {
  return {
    ...floatJson,
    id: "radtrack_cxr_v3_int8@1",
    quantization: "int8",
    equivalentTo: { id: float.id, sha256: float.sha256 },
    ...overrides,
  };
}

/** A float folder (the shipped model.json, a stand-in model.onnx: only its presence is read) and its int8 sibling. */
async function pair(name: string, int8: ModelDescriptorInput | null): Promise<ModelFolder> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await copyFile(path.join(FLOAT_DIR, "model.json"), path.join(dir, "model.json"));
  await writeFile(path.join(dir, "model.onnx"), "float graph");
  if (int8) {
    const sibling = int8FolderFor(dir);
    await mkdir(sibling);
    await writeFile(path.join(sibling, "model.json"), JSON.stringify(int8));
    await writeFile(path.join(sibling, "model.onnx"), "int8 graph");
  }
  return loadModelFolder(dir, config().sharedDir);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "radtrack-int8-"));
  floatJson = JSON.parse(await readFile(path.join(FLOAT_DIR, "model.json"), "utf8")) as ModelDescriptorInput;
  float = parseModelDescriptor(floatJson, "float");
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("int8 copy selection", () => {
  it("looks for the copy beside the float folder, named <folder>_int8", () => {
    expect(int8FolderFor("/srv/models/radtrack_cxr_v3")).toBe("/srv/models/radtrack_cxr_v3_int8");
    expect(int8FolderFor("/srv/models/radtrack_cxr_v3/")).toBe("/srv/models/radtrack_cxr_v3_int8");
  });

  it("accepts a copy that names this float model and keeps its contract, and says why it refuses others", () => {
    expect(int8Mismatch(parseModelDescriptor(int8Json(), "ok"), float)).toBeNull();
    const other = parseModelDescriptor(int8Json({ equivalentTo: { id: float.id, sha256: "0".repeat(64) } }), "x");
    expect(int8Mismatch(other, float)).toMatch(/was made from radtrack_cxr_v3@1 \(sha256 000000000000…\), not from/);
    const renamed = parseModelDescriptor(
      int8Json({ equivalentTo: { id: "radtrack_cxr_v2@1", sha256: float.sha256 } }),
      "x",
    );
    expect(int8Mismatch(renamed, float)).toMatch(/radtrack_cxr_v2@1/);
    const wider = parseModelDescriptor(int8Json({ dims: 256 }), "x");
    expect(int8Mismatch(wider, float)).toBe('radtrack_cxr_v3_int8@1 differs from radtrack_cxr_v3@1 in "dims"');
    expect(int8Mismatch(float, float)).toMatch(/does not say "quantization": "int8"/);
  });

  it("refuses a model.json with quantization but no float model named, or the reverse", () => {
    const { equivalentTo: _drop, ...noTarget } = int8Json();
    expect(() => parseModelDescriptor(noTarget, "x.json")).toThrow(/quantization and equivalentTo together/);
    expect(() =>
      parseModelDescriptor({ ...floatJson, equivalentTo: { id: float.id, sha256: float.sha256 } }, "y"),
    ).toThrow(/equivalentTo/);
    expect(() => parseModelDescriptor(int8Json({ quantization: "int4" as "int8" }), "z")).toThrow(/quantization/);
  });

  it("finds the copy on disk, ignores a missing one quietly and reports an unusable one", async () => {
    const none = await pair("none", null);
    expect(await findInt8Copy(none, config().sharedDir)).toEqual({ found: false });

    const good = await pair("good", int8Json());
    const found = await findInt8Copy(good, config().sharedDir);
    expect(found.found && found.folder.descriptor.id).toBe("radtrack_cxr_v3_int8@1");
    expect(found.found && found.folder.onnxPath).toBe(path.join(int8FolderFor(good.modelDir), "model.onnx"));

    const stale = await pair("stale", int8Json({ equivalentTo: { id: float.id, sha256: "a".repeat(64) } }));
    const refused = await findInt8Copy(stale, config().sharedDir);
    expect(refused.found).toBe(false);
    expect(!refused.found && refused.problem).toMatch(/stale_int8: .*was made from/);

    const broken = await pair("broken", { ...int8Json(), dims: "many" } as unknown as ModelDescriptorInput);
    const invalid = await findInt8Copy(broken, config().sharedDir);
    expect(!invalid.found && invalid.problem).toMatch(/broken_int8.*not a valid model descriptor/);
  });

  it("does not look for a copy of a model that is itself quantized", async () => {
    const dir = path.join(root, "already_int8");
    await mkdir(dir);
    await writeFile(path.join(dir, "model.json"), JSON.stringify(int8Json()));
    await writeFile(path.join(dir, "model.onnx"), "int8 graph");
    const folder = await loadModelFolder(dir, config().sharedDir);
    expect(await findInt8Copy(folder, config().sharedDir)).toEqual({ found: false });
  });

  it("runs the copy on the CPU only, only when switched on; GPU providers keep the float graph", async () => {
    const good = await pair("choice", int8Json());
    const lookup = await findInt8Copy(good, config().sharedDir);
    const int8 = lookup.found ? lookup.folder : null;
    expect(int8).not.toBeNull();
    expect(folderForProvider("cpu", good, int8, true)).toBe(int8);
    expect(folderForProvider("cpu", good, int8, false)).toBe(good);
    expect(folderForProvider("cpu", good, null, true)).toBe(good);
    expect(folderForProvider("cuda", good, int8, true)).toBe(good);
    expect(folderForProvider("webgpu", good, int8, true)).toBe(good);
  });

  it("is off by default (the copy misses the accuracy bar) and switched on by EMBED_INT8=1", () => {
    expect(embeddingSettings({}).int8).toBe(false);
    expect(embeddingSettings({ EMBED_INT8: "1" }).int8).toBe(true);
    expect(embeddingSettings({ EMBED_INT8: "0" }).int8).toBe(false);
    expect(embeddingSettings({ EMBED_INT8: "off" }).int8).toBe(false);
    expect(() => embeddingSettings({ EMBED_INT8: "maybe" })).toThrow(/EMBED_INT8 must be 1 or 0/);
  });
});
