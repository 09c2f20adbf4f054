// The contract between a model folder and the engine. Everything that changes what a vector means (weights,
// preprocessing, output) is written in model.json, so two processes with the same model.json produce comparable
// vectors, and a training script can write the same file for its own model.
import path from "node:path";
import { z } from "zod";
import { EmbeddingConfigError } from "./errors";

/** Placeholders allowed in onnx.searchDirs. Kept closed so a typo fails at parse time rather than at lookup. */
export const SEARCH_DIR_PLACEHOLDERS = ["sharedDir"] as const;
export type SearchDirPlaceholder = (typeof SEARCH_DIR_PLACEHOLDERS)[number];

const PLACEHOLDER_RE = /\$\{([^}]*)\}/g;

function isPortableAbsolute(p: string): boolean {
  return path.posix.isAbsolute(p) || path.win32.isAbsolute(p);
}

// Relative only: an absolute path in a committed descriptor works on one machine and breaks on the next.
const relativeFile = z
  .string()
  .min(1)
  .refine((p) => !isPortableAbsolute(p) && !p.includes("${"), "must be a relative path without placeholders");

const searchDir = z
  .string()
  .min(1)
  .superRefine((dir, ctx) => {
    for (const match of dir.matchAll(PLACEHOLDER_RE)) {
      const name = match[1] ?? "";
      if (!(SEARCH_DIR_PLACEHOLDERS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: "custom",
          message: `unknown placeholder \${${name}} (known: ${SEARCH_DIR_PLACEHOLDERS.map((p) => `\${${p}}`).join(", ")})`,
        });
      }
    }
    if (isPortableAbsolute(dir)) {
      ctx.addIssue({ code: "custom", message: "must be relative to the model folder or start with a placeholder" });
    }
  });

const positiveInt = z.number().int().positive();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits");
// Only what sharp offers; training code must resize with the same kernel for its vectors to match ours.
const resizeKernel = z.enum(["nearest", "linear", "cubic", "mitchell", "lanczos2", "lanczos3"]);
const perChannel = z.tuple([z.number(), z.number(), z.number()]);

const resize = z.discriminatedUnion("mode", [
  // The whole image squeezed to size x size: nothing is cropped, the aspect ratio is not kept.
  z.strictObject({ mode: z.literal("fill"), size: positiveInt, kernel: resizeKernel }),
  // Shorter side to `shorterSide` (default: size), then a centre crop of size x size (the ImageNet evaluation habit).
  z.strictObject({
    mode: z.literal("shorter-side-crop"),
    size: positiveInt,
    shorterSide: positiveInt.optional(),
    kernel: resizeKernel,
  }),
]);

const outputName = z.string().min(1);

/** What the frontal-film gate tells apart; `frontal` is the only class that passes. */
export const VIEW_CLASSES = ["frontal", "lateral", "ct", "other"] as const;
export type ViewClass = (typeof VIEW_CLASSES)[number];
const probability = z.number().gt(0).lt(1);

/**
 * Extra outputs of the same graph, read in the same run as the embedding. `extent`: the film's estimated geographic
 * extent on the readers' 0-8 scale, with a split-conformal interval (half-width at the stated coverage, measured on
 * held-out patients). `view`: the frontal-film gate, a softmax over `classes` and a distance to the frontal training
 * films; a film is refused when its frontal probability is below `frontalMinProbability` or its distance above
 * `maxDistance`.
 */
export const headsSchema = z.strictObject({
  extent: z
    .strictObject({
      output: outputName,
      scale: z.tuple([z.literal(0), z.literal(8)]),
      interval: z.strictObject({
        method: z.literal("split-conformal"),
        halfWidth: z.number().positive(),
        coverage: probability,
      }),
    })
    .optional(),
  view: z
    .strictObject({
      output: outputName,
      classes: z
        .array(z.enum(VIEW_CLASSES))
        .refine((c) => c[0] === "frontal" && new Set(c).size === c.length, "frontal first, no repeats"),
      frontalMinProbability: probability,
      distanceOutput: outputName,
      maxDistance: z.number().positive(),
    })
    .optional(),
});

export const modelDescriptorSchema = z
  .strictObject({
    /** Stable identity stored with every vector: `<name>@<version>`. */
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]*@[A-Za-z0-9_.-]+$/, "must look like name@version"),
    version: z.string().min(1),
    onnx: z.strictObject({
      /** Looked up next to model.json first, then in each of searchDirs, in order. */
      file: relativeFile,
      searchDirs: z.array(searchDir).default([]),
    }),
    sha256: sha256Hex,
    input: z.strictObject({
      name: z.string().min(1),
      // Batch is dynamic ("N") or fixed at 1; channels are 3 because grey is replicated.
      shape: z.tuple([z.union([z.literal("N"), z.literal(1)]), z.literal(3), positiveInt, positiveInt]),
      layout: z.literal("NCHW"),
    }),
    grey: z.literal("replicate"),
    resize,
    /** Per channel, in 0..255 pixel units: x = (pixel - mean) / std. */
    normalize: z.strictObject({
      mean: perChannel,
      std: perChannel.refine((s) => s.every((v) => v > 0), "every std must be > 0"),
    }),
    output: z.strictObject({
      name: z.string().min(1),
      /** false: the graph already normalises, and the engine checks the norms instead. */
      l2normalize: z.boolean(),
    }),
    // pgvector's HNSW index stops at 2000 dimensions for `vector`.
    dims: positiveInt.max(2000),
    heads: headsSchema.optional(),
    /**
     * A quantized copy of another model folder's graph (same preprocessing, outputs and heads), as
     * models/training/quantize_int8.py writes it: `equivalentTo` names that float model by id and sha256, and
     * quantized.ts runs it in that model's place on the CPU. Opened directly (RADTRACK_MODEL_DIR) it is a model of
     * its own, with its own id.
     */
    quantization: z.literal("int8").optional(),
    equivalentTo: z.strictObject({ id: z.string().min(1), sha256: sha256Hex }).optional(),
    provenance: z.looseObject({
      summary: z.string().min(1),
      source: z.string().optional(),
      sourceSha256: sha256Hex.optional(),
      conversion: z.string().optional(),
      trainedOn: z.string().optional(),
      createdAt: z.string().optional(),
    }),
    licence: z.strictObject({
      spdx: z.string().min(1),
      file: relativeFile.optional(),
      notes: z.string().optional(),
    }),
  })
  .superRefine((d, ctx) => {
    if ((d.quantization === undefined) !== (d.equivalentTo === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["equivalentTo"],
        message: "a quantized model names the float model it stands for (quantization and equivalentTo together)",
      });
    }
    if (!d.id.endsWith(`@${d.version}`)) {
      ctx.addIssue({ code: "custom", path: ["id"], message: `must end with "@${d.version}" (the version field)` });
    }
    const [, , h, w] = d.input.shape;
    if (h !== d.resize.size || w !== d.resize.size) {
      ctx.addIssue({
        code: "custom",
        path: ["resize", "size"],
        message: `resize.size ${d.resize.size} does not match input.shape ${h} x ${w}`,
      });
    }
    if (d.resize.mode === "shorter-side-crop" && (d.resize.shorterSide ?? d.resize.size) < d.resize.size) {
      ctx.addIssue({ code: "custom", path: ["resize", "shorterSide"], message: "must be >= size" });
    }
  });

export type ModelDescriptor = z.infer<typeof modelDescriptorSchema>;
export type ModelDescriptorInput = z.input<typeof modelDescriptorSchema>;
export type ResizeSpec = ModelDescriptor["resize"];

/** Parses model.json content; `source` names the file in the error. */
export function parseModelDescriptor(json: unknown, source: string): ModelDescriptor {
  const result = modelDescriptorSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .map((issue) => `  - ${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`)
      .join("\n");
    throw new EmbeddingConfigError(`${source} is not a valid model descriptor:\n${issues}`);
  }
  return result.data;
}

/** Expands placeholders in one searchDirs entry and anchors relative entries at the model folder. */
export function expandSearchDir(dir: string, modelDir: string, values: Record<SearchDirPlaceholder, string>): string {
  const expanded = dir.replace(PLACEHOLDER_RE, (_whole, name: string) => values[name as SearchDirPlaceholder]);
  return path.resolve(modelDir, expanded);
}
