// Runs an evaluation the way the app embeds: lib/image decodes each JPEG, lib/embedding (the model folder's
// model.json, its preprocessing and ONNX session) turns it into a unit vector. Nothing but the folders and the
// model folder goes in, so anyone can run it on their own labelled scans.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createEmbedder, embeddingSettings, type EmbeddingSettings, type GreyImage } from "@/lib/embedding";
import { decodeScan } from "@/lib/image";
import { readEvalCorpus, type EvalCorpus, type EvalRow } from "./corpus";
import { fingerprint, type Fingerprint } from "./fingerprint";
import { evaluate, type EvaluationReport } from "./evaluate";
import { DEFAULT_MAX_HAMMING, DEFAULT_MIN_CORRELATION, describeLeaks, findLeaks, type LeakCheck } from "./leakage";

export interface RunOptions {
  modelDir: string;
  referenceDir: string;
  queriesDir: string;
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

export interface RunReport extends EvaluationReport {
  tool: "radtrack-eval";
  createdAt: string;
  model: { id: string; sha256: string; dims: number; dir: string; onnxPath: string };
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
  embed: (images: readonly GreyImage[]) => Promise<Float32Array[]>,
  log: (line: string) => void,
  label: string,
): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let start = 0; start < corpus.rows.length; start += CHUNK) {
    vectors.push(...(await embed(await decodeChunk(corpus.rows.slice(start, start + CHUNK)))));
    if ((start / CHUNK) % 10 === 9) log(`${label}: ${vectors.length} / ${corpus.rows.length}`);
  }
  return vectors;
}

export async function runEvaluation(options: RunOptions): Promise<RunReport> {
  const log = options.log ?? (() => undefined);
  const started = performance.now();
  const read = { ageGroups: options.ageGroups };
  const [reference, queries] = await Promise.all([
    readEvalCorpus(options.referenceDir, read),
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
    const refVectors = await embedCorpus(reference, (im) => embedder.embedImages(im), log, "reference");
    const queryVectors = await embedCorpus(queries, (im) => embedder.embedImages(im), log, "queries");
    const embedSeconds = (performance.now() - embedStarted) / 1000;

    const report = evaluate(
      { rows: reference.rows, vectors: refVectors },
      { rows: queries.rows, vectors: queryVectors },
      {
        k: options.k,
      },
    );
    const d = engine.descriptor;
    const images = reference.rows.length + queries.rows.length;
    return {
      tool: "radtrack-eval",
      createdAt: new Date().toISOString(),
      model: { id: d.id, sha256: d.sha256, dims: d.dims, dir: engine.modelDir, onnxPath: engine.onnxPath },
      provider: engine.provider,
      threads: engine.threads,
      reference: { dir: reference.dir, images: reference.rows.length, skipped: reference.skipped.length },
      queries: { dir: queries.dir, images: queries.rows.length, skipped: queries.skipped.length },
      ageGroups: options.ageGroups ?? "all",
      leakage: { ...check, allowed: options.allowLeaks ?? false },
      ...report,
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
