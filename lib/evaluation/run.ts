// Runs an evaluation the way the app embeds: lib/image decodes each JPEG, lib/embedding (the model folder's
// model.json, its preprocessing and ONNX session) turns it into a unit vector. Nothing but the folders and the
// model folder goes in, so anyone can run it on their own labelled scans.
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  createEmbedder,
  embeddingSettings,
  type EmbeddingSettings,
  type FilmAnalysis,
  type GreyImage,
} from "@/lib/embedding";
import type { QuantizedGraph } from "@/lib/embedding/engine";
import { judgeView, type GateSpec } from "@/lib/gate/frontal-film";
import { decodeScan } from "@/lib/image";
import { parseCsvWithHeader } from "@/lib/csv";
import { readEvalCorpus, type EvalCorpus, type EvalRow } from "./corpus";
import { fingerprint, type Fingerprint } from "./fingerprint";
import { evaluate, type EvaluationReport } from "./evaluate";
import { expertExtent, gradedReport, type GradedReport } from "./graded";
import { dot } from "./metrics";
import { DEFAULT_MAX_HAMMING, DEFAULT_MIN_CORRELATION, describeLeaks, findLeaks, type LeakCheck } from "./leakage";

export interface RunOptions {
  modelDir: string;
  /** One folder or several (concatenated: e.g. the adult corpus and a scored serial-film set). */
  referenceDir: string | readonly string[];
  queriesDir: string;
  /** A folder of images that are not frontal chest films (metadata.csv: id,file,kind) for the gate's refusal rates. */
  oodDir?: string;
  k: number;
  allowLeaks?: boolean;
  /** 256-bit dHash distance that counts as the same picture (default 16). */
  maxHamming?: number;
  /** Thumbnail correlation that counts as the same picture (default 0.985). */
  minCorrelation?: number;
  /** Keep only these age groups in both sets ("adult", "pediatric", "unknown" for blank); undefined keeps all. */
  ageGroups?: readonly string[];
  /** Environment for the embedding settings (EMBED_PROVIDER, EMBED_THREADS, RADTRACK_SHARED_DIR). */
  env?: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
}

export interface OodReport {
  definition: string;
  images: number;
  /** Share of the OOD images refused (by the decoder's checks or the frontal-film gate). */
  refused: number | null;
  byKind: Record<string, number>;
  counts: Record<string, { images: number; refused: number }>;
  /** Share of the query films (real frontal films) that the gate refuses. */
  frontalRefused: number | null;
}

export interface RunReport extends Omit<EvaluationReport, "severity" | "drift"> {
  severity: EvaluationReport["severity"] & GradedReport["severity"];
  /** Direction of change on consecutive films (graded.ts); the class-based drift of earlier reports is `driftClasses`. */
  drift: GradedReport["drift"];
  driftClasses: EvaluationReport["drift"];
  readers: GradedReport["readers"];
  ood: OodReport | null;
  tool: "radtrack-eval";
  createdAt: string;
  /** `quantized`: the int8 copy that ran in place of the float model (only with EMBED_INT8=1). */
  model: { id: string; sha256: string; dims: number; dir: string; onnxPath: string; quantized: QuantizedGraph | null };
  provider: string;
  threads: number;
  reference: { dir: string; images: number; skipped: number };
  queries: { dir: string; images: number; skipped: number };
  ageGroups: readonly string[] | "all";
  leakage: LeakCheck & { allowed: boolean };
  timing: { totalSeconds: number; embedSeconds: number; imagesPerSecond: number };
}

export class LeakageError extends Error {
  override readonly name = "LeakageError";
  constructor(readonly check: LeakCheck) {
    super(
      describeLeaks(check) +
        "\nRefusing to evaluate: split the data by patient (or pass --allow-leaks to report the numbers anyway).",
    );
  }
}

const CHUNK = 32;

async function decodeFile(file: string): Promise<GreyImage> {
  const scan = await decodeScan(await readFile(file));
  return { width: scan.width, height: scan.height, pixels: scan.pixels };
}

async function decodeChunk(rows: readonly EvalRow[]): Promise<GreyImage[]> {
  return Promise.all(
    rows.map((r) =>
      decodeFile(r.file).catch((error: unknown) => {
        throw new Error(`${r.file}: ${error instanceof Error ? error.message : String(error)}`);
      }),
    ),
  );
}

/** First pass, cheap: decode and hash only, so a leaking split is refused before any embedding. */
async function fingerprintCorpus(corpus: EvalCorpus): Promise<Fingerprint[]> {
  const prints: Fingerprint[] = [];
  for (let start = 0; start < corpus.rows.length; start += CHUNK) {
    prints.push(...(await decodeChunk(corpus.rows.slice(start, start + CHUNK))).map(fingerprint));
  }
  return prints;
}

async function embedCorpus(
  corpus: EvalCorpus,
  analyse: (images: readonly GreyImage[]) => Promise<FilmAnalysis[]>,
  log: (line: string) => void,
  label: string,
): Promise<FilmAnalysis[]> {
  const out: FilmAnalysis[] = [];
  for (let start = 0; start < corpus.rows.length; start += CHUNK) {
    out.push(...(await analyse(await decodeChunk(corpus.rows.slice(start, start + CHUNK)))));
    if ((start / CHUNK) % 10 === 9) log(`${label}: ${out.length} / ${corpus.rows.length}`);
  }
  return out;
}

async function readCorpora(dirs: readonly string[], read: { ageGroups?: readonly string[] }): Promise<EvalCorpus> {
  const parts = await Promise.all(dirs.map((d) => readEvalCorpus(d, read)));
  return {
    dir: parts.map((p) => p.dir).join(" + "),
    rows: parts.flatMap((p) => p.rows),
    skipped: parts.flatMap((p) => p.skipped),
  };
}

/** Expert extent of the k nearest scored reference films, and the top-k similarities over all of them. */
function neighbourFigures(query: Float32Array, refs: readonly Float32Array[], scored: readonly number[], k: number) {
  const sims = refs.map((r) => dot(query, r));
  const top = [...sims].sort((a, b) => b - a).slice(0, k);
  const best = scored
    .map((i) => ({ i, s: sims[i]! }))
    .sort((a, b) => b.s - a.s)
    .slice(0, k);
  return { top, best };
}

/**
 * The OOD folder through the app's own checks: an image counts as refused when the decoder refuses it (as an
 * upload would be) or the frontal-film gate does.
 */
async function evaluateOod(
  dir: string,
  analyse: (images: readonly GreyImage[]) => Promise<FilmAnalysis[]>,
  gate: GateSpec | undefined,
): Promise<Omit<OodReport, "frontalRefused">> {
  const abs = path.resolve(dir);
  const { header, rows } = parseCsvWithHeader(await readFile(path.join(abs, "metadata.csv"), "utf8"));
  for (const c of ["id", "file", "kind"]) {
    if (!header.includes(c)) throw new Error(`${path.join(abs, "metadata.csv")} lacks the column ${c}`);
  }
  const counts: OodReport["counts"] = {};
  for (const { values: r } of rows) {
    const file = r.file!.trim();
    const kind = r.kind!.trim() || "unknown";
    if (file.includes("..") || path.isAbsolute(file)) throw new Error(`ood file name ${file} leaves the folder`);
    counts[kind] ??= { images: 0, refused: 0 };
    counts[kind].images++;
    let refused = false;
    try {
      const image = await decodeScan(await readFile(path.join(abs, file)));
      const [a] = await analyse([image]);
      refused = Boolean(gate && a?.view && !judgeView(a.view, gate).accepted);
    } catch {
      refused = true;
    }
    if (refused) counts[kind].refused++;
  }
  const total = Object.values(counts).reduce((s, c) => s + c.images, 0);
  const refused = Object.values(counts).reduce((s, c) => s + c.refused, 0);
  return {
    definition: "share of images refused by the decoder's checks or the frontal-film gate, as an upload would be",
    images: total,
    refused: total ? refused / total : null,
    byKind: Object.fromEntries(Object.entries(counts).map(([k, c]) => [k, c.refused / c.images])),
    counts,
  };
}

export async function runEvaluation(options: RunOptions): Promise<RunReport> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const read = { ageGroups: options.ageGroups };
  const referenceDirs = typeof options.referenceDir === "string" ? [options.referenceDir] : options.referenceDir;
  const [reference, queries] = await Promise.all([
    readCorpora(referenceDirs, read),
    readEvalCorpus(options.queriesDir, read),
  ]);
  if (reference.rows.length === 0) throw new Error(`no labelled images in ${reference.dir}`);
  if (queries.rows.length === 0) throw new Error(`no labelled images in ${queries.dir}`);

  const check = findLeaks(
    reference.rows,
    await fingerprintCorpus(reference),
    queries.rows,
    await fingerprintCorpus(queries),
    {
      maxHamming: options.maxHamming ?? DEFAULT_MAX_HAMMING,
      minCorrelation: options.minCorrelation ?? DEFAULT_MIN_CORRELATION,
    },
  );
  if (check.leaks.length > 0 && !options.allowLeaks) throw new LeakageError(check);

  const env = { ...(options.env ?? process.env), RADTRACK_MODEL_DIR: path.resolve(options.modelDir) };
  const settings: EmbeddingSettings = embeddingSettings(env);
  const embedder = createEmbedder(settings, { info: () => undefined, warn: (m: string) => log(`warning: ${m}`) });
  try {
    const engine = await embedder.ready();
    const embedStarted = performance.now();
    const analyse = (im: readonly GreyImage[]) => embedder.analyseImages(im);
    const refAnalyses = await embedCorpus(reference, analyse, log, "reference");
    const queryAnalyses = await embedCorpus(queries, analyse, log, "queries");
    const embedSeconds = (performance.now() - embedStarted) / 1000;
    const refVectors = refAnalyses.map((a) => a.vector);
    const queryVectors = queryAnalyses.map((a) => a.vector);

    const { severity, drift, ...report } = evaluate(
      { rows: reference.rows, vectors: refVectors },
      { rows: queries.rows, vectors: queryVectors },
      {
        k: options.k,
      },
    );
    const d = engine.descriptor;
    // Extent: the model's head when it has one; otherwise the similarity-weighted expert extent of the k nearest
    // scored reference films, so an embedding-only model is measured on the same scale.
    const scoredRefs = reference.rows.flatMap((r, i) => (expertExtent(r) === null ? [] : [i]));
    const figures = queryVectors.map((q) => neighbourFigures(q, refVectors, scoredRefs, options.k));
    const neighbourExtent = figures.map((f) =>
      f.best.length ? f.best.reduce((s, b) => s + expertExtent(reference.rows[b.i]!)!, 0) / f.best.length : null,
    );
    const weightedExtent = figures.map((f) => {
      let w = 0;
      let sum = 0;
      for (const b of f.best) {
        const weight = Math.max(b.s, 1e-6);
        w += weight;
        sum += weight * expertExtent(reference.rows[b.i]!)!;
      }
      return w > 0 ? sum / w : null;
    });
    const estimate = queryAnalyses.map((a, i) => a.extent?.value ?? weightedExtent[i] ?? null);
    const graded = gradedReport({
      queries: queries.rows,
      estimate,
      neighbourExtent,
      topSimilarities: figures.map((f) => f.top),
    });
    const gate = d.heads?.view;
    const frontalRefused = gate
      ? queryAnalyses.filter((a) => a.view && !judgeView(a.view, gate).accepted).length / queryAnalyses.length
      : null;
    const ood = options.oodDir ? { ...(await evaluateOod(options.oodDir, analyse, gate)), frontalRefused } : null;
    const images = reference.rows.length + queries.rows.length;
    return {
      tool: "radtrack-eval",
      createdAt: new Date().toISOString(),
      model: {
        id: d.id,
        sha256: d.sha256,
        dims: d.dims,
        dir: engine.modelDir,
        onnxPath: engine.onnxPath,
        quantized: engine.quantized,
      },
      provider: engine.provider,
      threads: engine.threads,
      reference: { dir: reference.dir, images: reference.rows.length, skipped: reference.skipped.length },
      queries: { dir: queries.dir, images: queries.rows.length, skipped: queries.skipped.length },
      ageGroups: options.ageGroups ?? "all",
      leakage: { ...check, allowed: options.allowLeaks ?? false },
      ...report,
      severity: { ...severity, ...graded.severity },
      drift: graded.drift,
      driftClasses: drift,
      readers: graded.readers,
      ood:
        ood ??
        (gate
          ? { definition: "no --ood folder given", images: 0, refused: null, byKind: {}, counts: {}, frontalRefused }
          : null),
      timing: {
        totalSeconds: (performance.now() - started) / 1000,
        embedSeconds,
        imagesPerSecond: images / embedSeconds,
      },
    };
  } finally {
    await embedder.close();
  }
}
