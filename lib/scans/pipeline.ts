// The one ingest pipeline. Every way a film comes in (an upload, the API, a bulk job, the reference import, and
// image sources yet to come) runs the same named steps:
//
//   look up ──▶ decode ──▶ embed ──▶ gate ──────────▶ store ──▶ record
//   (caller)    limits     one call   frontal film     renditions (caller's rows,
//                          a batch    (model's view    + original one transaction)
//                          + heads     head) + hook
//                          ‖ renditions encoded meanwhile
//
// What must be the same for every source lives here: decoding under the configured limits, one embedding call per
// batch (each film alone when the session refuses the batch, to find the culprit), renditions encoded while the model
// runs, content-addressed storage, removing the files a failed write added, and one step timer. What differs per
// caller is a hook: which films to take and what each is (look up, done by the caller before prepareFilms), what may
// still refuse a film once it is embedded (`gate`), and which rows to write (`record`).
//
// The work comes in two halves so that a caller may overlap them across batches (the reference import does):
// prepareFilms (decode, embed, gate) writes nothing; writeFilms (store, record) writes.
import { createHash } from "node:crypto";
import { uploadLimits } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { analyseImage, analyseImages, embeddingModel, type ExtentEstimate, type FilmAnalysis } from "@/lib/embedding";
import { applyGate, type GateOverride, type GateOverrideRecord } from "@/lib/gate/frontal-film";
import {
  decodeScan,
  makeRenditions,
  ScanValidationError,
  type DecodedScan,
  type Renditions,
  type StepClock,
} from "@/lib/image";
import { lockContent, removeUnlessUsed } from "@/lib/storage/content-lock";
import type { ScanStore } from "@/lib/storage/scan-store";
import { ScanRejectedError } from "./errors";

export type IngestStep = "lookup" | "decode" | "embed" | "renditions" | "gate" | "store" | "record";

/** Milliseconds each step kept busy, summed over calls (benchmarks). Steps of batches in flight may overlap. */
export type StepTimings = Record<string, number>;

/** Runs `work` as `step`, adding its duration to `timings` when given. */
export function stepTimer(timings: StepTimings | undefined) {
  return async <T>(step: IngestStep | (string & {}), work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      if (timings) timings[step] = (timings[step] ?? 0) + performance.now() - started;
    }
  };
}

/** The content address of a film's bytes; timed as "hash" when `timings` is given. */
export function sha256Of(bytes: Buffer, timings?: StepTimings): string {
  const started = performance.now();
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (timings) timings.hash = (timings.hash ?? 0) + performance.now() - started;
  return digest;
}

/**
 * Decodes whole, with the configured limits; a refusal becomes a message for the user. Never at a reduced size
 * (shrink-on-load, DecodeOptions.maxSide): the model's 224 px input resampled from a smaller decode moves its vector
 * (cosine 0.985-1.000 on large films, decode-size.test.ts), as much as re-encoding the film would, and every vector
 * of a model must come from the same recipe for neighbours and drift to mean anything.
 */
export async function decodeForIngest(bytes: Buffer, time?: StepClock): Promise<DecodedScan> {
  try {
    return await decodeScan(bytes, uploadLimits(), { time });
  } catch (error) {
    if (error instanceof ScanValidationError) throw new ScanRejectedError(error.code, error.message);
    throw error;
  }
}

/** A film the look-up step let through, with whatever its caller needs to record it (`meta`). */
export interface FilmIn<M> {
  meta: M;
  bytes: Buffer;
  sha256: string;
  /** The scan is stored already and lacks only a vector of the active model (a new model): no files, one vector. */
  existingScanId?: string;
}

/**
 * What decoding found, without the pixels (dropped once the film is embedded and rendered); width and height are the
 * image's own.
 */
export type ImageFacts = Omit<DecodedScan, "pixels" | "fullSize">;

export interface PreparedFilm<M> extends FilmIn<M> {
  /** Position among the films given to prepareFilms. */
  index: number;
  image: ImageFacts;
  vector: Float32Array;
  /** The model's extent estimate (0-8) with its interval; absent for a model without an extent head. */
  extent?: ExtentEstimate;
  /** Set when an admin accepted this film although the frontal-film gate refused it (to be audited). */
  gateOverride?: GateOverrideRecord;
  /** Absent when existingScanId is set. */
  renditions?: Renditions;
}

export interface StoredFilm<M> extends PreparedFilm<M> {
  /** Where its files are; absent when existingScanId is set (nothing was stored). */
  storageKey?: string;
}

/** A film that did not make it, by position, with the error that stopped it and the step it stopped at. */
export interface Refusal {
  index: number;
  step: IngestStep;
  error: Error;
}

/**
 * The gate: runs once a batch is embedded, before anything is stored, with the decoded pixels still at hand. It
 * returns, per film, an Error that refuses the film (the film's outcome, nothing of it is stored) or null. The place
 * for checks that need the image or its vector, e.g. "is this a frontal chest film" from a classifier head.
 */
export type Gate<M> = (
  films: readonly { meta: M; image: DecodedScan; vector: Float32Array }[],
) => Promise<readonly (Error | null)[]>;

export interface PrepareOptions<M> {
  /** Films decoded and rendered at once (each decode may hold a 50-megapixel image). Default: all of them. */
  concurrency?: number;
  /**
   * Right after decoding: what the caller reads from the image and its header (a DICOM date, view, warnings), kept
   * in the film's meta. Throwing refuses the film (step "decode") before it costs an embedding.
   */
  facts?: (meta: M, image: DecodedScan) => M;
  gate?: Gate<M>;
  /**
   * The frontal-film gate of the model's view head (lib/gate): on for every source of new films; stored films
   * (re-embedding, backfills) are never refused. `override` names a film an admin accepts although it is refused.
   */
  frontalGate?: { override?: (meta: M) => GateOverride | undefined };
  /**
   * Also the viewer's 2048 px rendition, from the same decoded pixels (a single upload: its viewer opens next).
   * Without it, the first request for the rendition makes it from the stored original (full-rendition.ts).
   */
  fullRendition?: boolean;
  timings?: StepTimings;
}

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return out;
}

/**
 * One embedding call for the batch (the vector and the model's heads); should the session refuse it, each film
 * alone, so one bad film fails alone.
 */
async function embedAll(images: readonly DecodedScan[]): Promise<(FilmAnalysis | Error)[]> {
  if (images.length === 0) return [];
  try {
    return await analyseImages(images);
  } catch {
    return Promise.all(images.map((image) => analyseImage(image).catch(asError)));
  }
}

/** Decode, embed (renditions meanwhile) and gate. Writes nothing; a film refused on the way becomes a Refusal. */
export async function prepareFilms<M>(
  films: readonly FilmIn<M>[],
  options: PrepareOptions<M> = {},
): Promise<{ films: PreparedFilm<M>[]; refused: Refusal[] }> {
  const time = stepTimer(options.timings);
  const limit = options.concurrency ?? Math.max(1, films.length);
  const refused: Refusal[] = [];
  const metas = films.map((film) => film.meta);
  const decoded = await time("decode", () =>
    mapLimit(films, limit, async (film, index) => {
      try {
        // Per film, inside the batch's "decode": its parts (validate, decode pixels) as busy time summed over films.
        const image = await decodeForIngest(film.bytes, options.timings ? time : undefined);
        if (options.facts) metas[index] = options.facts(film.meta, image);
        return image;
      } catch (error) {
        refused.push({ index, step: "decode", error: asError(error) });
        return null;
      }
    }),
  );
  const ok = films.flatMap((film, index) =>
    decoded[index] ? [{ film: { ...film, meta: metas[index]! }, index, image: decoded[index] }] : [],
  );
  const [vectors, renditions] = await Promise.all([
    time("embed", () => embedAll(ok.map((d) => d.image))),
    time("renditions", () =>
      mapLimit(ok, limit, async ({ film, image }) => {
        if (film.existingScanId) return undefined;
        return makeRenditions(image, { full: options.fullRendition });
      }).catch((error: unknown) => asError(error)),
    ),
  ]);
  const gateSpec = options.frontalGate && ok.length ? (await embeddingModel()).card.heads?.view : undefined;
  const embedded = ok.flatMap((d, k) => {
    const analysis = vectors[k]!;
    if (analysis instanceof Error) {
      refused.push({ index: d.index, step: "embed", error: analysis });
      return [];
    }
    if (renditions instanceof Error) {
      refused.push({ index: d.index, step: "renditions", error: renditions });
      return [];
    }
    let gateOverride: GateOverrideRecord | undefined;
    // A backfill (a stored scan that only lacks the new model's vector) was accepted before: never dropped here.
    if (options.frontalGate && !d.film.existingScanId) {
      try {
        gateOverride = applyGate(analysis, gateSpec, options.frontalGate.override?.(d.film.meta));
      } catch (error) {
        const e = error instanceof ScanValidationError ? new ScanRejectedError(error.code, error.message) : error;
        refused.push({ index: d.index, step: "gate", error: asError(e) });
        return [];
      }
    }
    const { vector, extent } = analysis;
    return [{ ...d, vector, extent, gateOverride, renditions: renditions[k] }];
  });
  const verdicts = options.gate
    ? await time("gate", () =>
        options.gate!(embedded.map((e) => ({ meta: e.film.meta, image: e.image, vector: e.vector }))),
      )
    : [];
  const prepared: PreparedFilm<M>[] = [];
  embedded.forEach((e, k) => {
    const verdict = verdicts[k];
    if (verdict) {
      refused.push({ index: e.index, step: "gate", error: verdict });
      return;
    }
    const { format, sourceBitDepth, dicom } = e.image;
    const { width, height } = e.image.fullSize ?? e.image;
    prepared.push({
      ...e.film,
      index: e.index,
      image: { format, width, height, sourceBitDepth, dicom },
      vector: e.vector,
      ...(e.extent ? { extent: e.extent } : {}),
      ...(e.gateOverride ? { gateOverride: e.gateOverride } : {}),
      renditions: e.renditions,
    });
  });
  refused.sort((a, b) => a.index - b.index);
  return { films: prepared, refused };
}

/** A write that did not go in, by film, or one that did with the caller's result. */
export type WriteOutcome<R> = { ok: true; value: R } | { ok: false; error: Error };

export interface WriteOptions<M, R> {
  db: Db;
  store: ScanStore;
  /** The caller's rows for these films, in one transaction; one result per film, in order. */
  record: (tx: Prisma.TransactionClient, films: readonly StoredFilm<M>[]) => Promise<R[]>;
  /**
   * When the batch's transaction fails: "each" records the films one at a time so that the others still go in (a
   * film that collided with a concurrent upload fails alone); "throw" gives the batch up and throws (re-running an
   * idempotent import finishes it).
   */
  onBatchFailure: "each" | "throw";
  /** The error a film that failed alone reports, e.g. a duplicate for a unique violation. Default: as thrown. */
  explain?: (error: unknown, film: StoredFilm<M>) => Promise<Error>;
  timings?: StepTimings;
}

/**
 * Inside the record transaction, before the caller's rows: holds the lock of every key these films name until the
 * rows commit, and writes again the files of any key that a removal took since the store step (a purge, the clean-up
 * of a failed upload of the same image, the orphan sweep: lib/storage/content-lock.ts). One stat per film.
 */
async function holdFiles<M>(
  tx: Prisma.TransactionClient,
  store: ScanStore,
  films: readonly StoredFilm<M>[],
): Promise<void> {
  const named = films.filter((f) => f.storageKey && f.renditions);
  await lockContent(
    tx,
    named.map((f) => f.storageKey!),
  );
  for (const film of named) {
    if (await store.exists(film.storageKey!)) continue;
    const { preview, thumbnail } = film.renditions!;
    await store.put(film.sha256, { original: film.bytes, preview, thumbnail });
  }
}

const BATCH_TX = { maxWait: 60_000, timeout: 120_000 };
const ONE_TX = { maxWait: 30_000, timeout: 60_000 };

/**
 * Store and record. All or nothing per film: a film that does not go in leaves no row and no file that this call
 * created. Returns one outcome per film, in order; throws only with onBatchFailure "throw" or when the database is
 * unusable.
 */
export async function writeFilms<M, R>(
  films: readonly PreparedFilm<M>[],
  options: WriteOptions<M, R>,
): Promise<WriteOutcome<R>[]> {
  const { db, store } = options;
  const time = stepTimer(options.timings);
  const outcomes = new Array<WriteOutcome<R>>(films.length);
  if (films.length === 0) return outcomes;
  const created = new Set<string>();
  const cleanUp = async (keys: Iterable<string | undefined>) => {
    for (const key of keys) if (key && created.has(key)) await removeUnlessUsed(db, store, key);
  };

  const puts = await time("store", () =>
    Promise.allSettled(
      films.map(async (film): Promise<StoredFilm<M>> => {
        if (film.existingScanId || !film.renditions) return film;
        const { preview, thumbnail, full } = film.renditions;
        const stored = await store.put(film.sha256, { original: film.bytes, preview, thumbnail });
        if (stored.created) created.add(stored.key);
        if (full && (stored.created || !(await store.hasRendition(stored.key, "full.jpg")))) {
          // Not the film's outcome: without it, the first request makes it from the original (full-rendition.ts).
          await store.putLater(stored.key, "full.jpg", full).catch((error: unknown) => {
            console.error(`[radtrack] large rendition of ${stored.key} not stored now: ${asError(error).message}`);
          });
        }
        return { ...film, storageKey: stored.key };
      }),
    ),
  );
  const stored: StoredFilm<M>[] = [];
  const at: number[] = [];
  for (const [i, put] of puts.entries()) {
    if (put.status === "fulfilled") {
      stored.push(put.value);
      at.push(i);
    } else if (options.onBatchFailure === "throw") {
      await cleanUp(created);
      throw put.reason;
    } else {
      outcomes[i] = { ok: false, error: asError(put.reason) };
    }
  }
  if (stored.length === 0) return outcomes;

  try {
    const values = await time("record", () =>
      db.$transaction(async (tx) => {
        await holdFiles(tx, store, stored);
        return options.record(tx, stored);
      }, BATCH_TX),
    );
    values.forEach((value, k) => (outcomes[at[k]!] = { ok: true, value }));
    return outcomes;
  } catch (error) {
    if (options.onBatchFailure === "throw" || stored.length === 1) {
      await cleanUp(stored.map((f) => f.storageKey));
      if (options.onBatchFailure === "throw") throw error;
      outcomes[at[0]!] = {
        ok: false,
        error: options.explain ? await options.explain(error, stored[0]!) : asError(error),
      };
      return outcomes;
    }
    // Most likely one film collided with a concurrent upload of the same image: one by one, the others still go in.
  }
  for (const [k, film] of stored.entries()) {
    try {
      const [value] = await time("record", () =>
        db.$transaction(async (tx) => {
          await holdFiles(tx, store, [film]);
          return options.record(tx, [film]);
        }, ONE_TX),
      );
      outcomes[at[k]!] = { ok: true, value: value! };
    } catch (error) {
      await cleanUp([film.storageKey]);
      outcomes[at[k]!] = { ok: false, error: options.explain ? await options.explain(error, film) : asError(error) };
    }
  }
  return outcomes;
}
