import { describe, expect, it } from "vitest";
import { createEmbedder } from "./embedder";
import { EmbeddingConfigError } from "./errors";
import {
  INHERITED_PROVIDER_ENV,
  inheritedChoice,
  inheritedChoiceEnv,
  parseRequestedProvider,
  providerCandidates,
  shortReason,
} from "./providers";
import { embeddingSettings } from "./settings";

const backends = [
  { name: "cpu", bundled: true },
  { name: "webgpu", bundled: true },
  { name: "cuda", bundled: false },
];

describe("execution providers", () => {
  it("refuses an invalid EMBED_PROVIDER, naming the valid ones", () => {
    expect(() => embeddingSettings({ EMBED_PROVIDER: "tpu" })).toThrow(EmbeddingConfigError);
    expect(() => parseRequestedProvider("gpu")).toThrow(
      'EMBED_PROVIDER must be one of auto, cuda, webgpu, cpu; got "gpu"',
    );
    expect(parseRequestedProvider(undefined)).toBe("auto");
    expect(parseRequestedProvider(" CPU ")).toBe("cpu");
  });

  it("refuses bad numeric settings", () => {
    expect(() => embeddingSettings({ EMBED_THREADS: "0" })).toThrow(/EMBED_THREADS/);
    expect(() => embeddingSettings({ EMBED_BATCH: "lots" })).toThrow(/EMBED_BATCH/);
    expect(() => embeddingSettings({ EMBED_BATCH: "32", EMBED_MAX_PENDING: "8" })).toThrow(/EMBED_MAX_PENDING/);
  });

  it("auto tries cuda only when its libraries are installed, then webgpu, then cpu", () => {
    expect(providerCandidates("auto", backends, () => false)).toEqual(["webgpu", "cpu"]);
    expect(providerCandidates("auto", backends, () => true)).toEqual(["cuda", "webgpu", "cpu"]);
    expect(providerCandidates("auto", [{ name: "cpu", bundled: true }])).toEqual(["cpu"]);
    expect(providerCandidates("cuda", backends, () => false)).toEqual(["cuda", "cpu"]);
    expect(providerCandidates("cpu", backends)).toEqual(["cpu"]);
  });

  it("keeps the useful end of an ONNX Runtime error message", () => {
    const ort =
      "/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::" +
      "Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == " +
      "wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters";
    expect(shortReason(new Error(ort))).toBe("Failed to get a WebGPU adapter: No supported adapters");
    expect(shortReason(new Error(`x ${"y".repeat(400)} the end`))).toMatch(/^\.\.\..*the end$/);
  });

  it("falls back from an unusable webgpu to cpu with one warning and a reason in the status", async () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const embedder = createEmbedder(
      { ...embeddingSettings({ ...process.env, EMBED_PROVIDER: "webgpu" }) },
      { warn: (m) => warnings.push(m), info: (m) => infos.push(m) },
    );
    try {
      const status = await embedder.status();
      if (status.state !== "ready") throw new Error(status.error);
      expect(status.requestedProvider).toBe("webgpu");
      // On a machine with a GPU adapter webgpu works and there is nothing to fall back from.
      if (status.provider === "cpu") {
        expect(status.fallbackReason).toMatch(/^webgpu: (session creation|first inference) failed: /);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain("using cpu");
      } else {
        expect(status.provider).toBe("webgpu");
      }
      expect(infos).toEqual([expect.stringContaining(`execution provider: ${status.provider}`)]);
    } finally {
      await embedder.close();
    }
  });

  it("takes a fallback the launcher found only for the same request, and only when well formed", () => {
    const env = inheritedChoiceEnv({ requested: "auto", provider: "cpu", fallbackReason: "webgpu: no adapter" });
    expect(inheritedChoice("auto", env)).toEqual({
      requested: "auto",
      provider: "cpu",
      fallbackReason: "webgpu: no adapter",
    });
    expect(inheritedChoice("webgpu", env)).toBeNull();
    expect(inheritedChoice("auto", {})).toBeNull();
    expect(inheritedChoice("auto", { [INHERITED_PROVIDER_ENV]: "{not json" })).toBeNull();
    expect(
      inheritedChoice("auto", {
        [INHERITED_PROVIDER_ENV]: '{"requested":"auto","provider":"auto","fallbackReason":"x"}',
      }),
    ).toBeNull();
  });

  it("a process started with the launcher's fallback opens that provider at once and prints nothing", async () => {
    const lines: string[] = [];
    const before = process.env[INHERITED_PROVIDER_ENV];
    Object.assign(
      process.env,
      inheritedChoiceEnv({ requested: "webgpu", provider: "cpu", fallbackReason: "webgpu: found by the launcher" }),
    );
    const embedder = createEmbedder(
      { ...embeddingSettings({ ...process.env, EMBED_PROVIDER: "webgpu" }) },
      { warn: (m) => lines.push(m), info: (m) => lines.push(m) },
    );
    try {
      const status = await embedder.status();
      if (status.state !== "ready") throw new Error(status.error);
      expect(status).toMatchObject({
        provider: "cpu",
        requestedProvider: "webgpu",
        fallbackReason: "webgpu: found by the launcher",
      });
      expect(lines).toEqual([]);
    } finally {
      await embedder.close();
      if (before === undefined) delete process.env[INHERITED_PROVIDER_ENV];
      else process.env[INHERITED_PROVIDER_ENV] = before;
    }
  });
});
