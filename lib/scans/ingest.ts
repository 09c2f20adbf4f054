// Patients' films in: uploads, the API and bulk jobs. The steps are the shared pipeline's (pipeline.ts); this module
// is its patient-side hooks: look up (the patient exists, the image is not already stored for them) and record (scan,
// vector and scan.uploaded audit event). All or nothing per film: a failed film leaves no row and no file that this
// call created.
import { randomUUID } from "node:crypto";
import type { PublicActionContext } from "@/lib/actions/define-action";
import { auditRow } from "@/lib/audit/audit-log";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import type { Prisma } from "@/lib/db/generated/client";
import type { ScanOrigin } from "@/lib/db/generated/enums";
import { insertEmbeddings, type StoredExtent } from "@/lib/db/vector-sql";
import { UserFacingError } from "@/lib/errors";
import type { GateOverride } from "@/lib/gate/frontal-film";
import { scanStore } from "@/lib/storage";
import type { ScanStore } from "@/lib/storage/scan-store";
import { AcquisitionDateError, dayDate, resolveAcquisition, splitInstant, timeDate } from "./acquisition-date";
import { activeModel } from "./active-model";
import { DuplicateScanError, NO_SUCH_PATIENT, ScanRejectedError } from "./errors";
import {
  prepareFilms,
  sha256Of,
  stepTimer,
  writeFilms,
  type FilmIn,
  type Gate,
  type ImageFacts,
  type StepTimings,
  type StoredFilm,
} from "./pipeline";

export interface IngestInput {
  patientId: string;
  bytes: Buffer;
  /**
   * The sha256 of these very bytes, when the caller has just computed it (so they are hashed once). Bytes read back
   * from storage are hashed again, not trusted to match an earlier digest: the digest is their storage key.
   */
  sha256?: string;
  origin: Exclude<ScanOrigin, "reference">;
  /**
   * When the film was taken: its UTC day, and its UTC time of day unless exactly midnight. Defaults to the DICOM
   * header's date and time, else now. Checked by the acquisition date rule either way.
   */
  acquiredAt?: Date;
  /** HH:MM:SS.fff, when the caller knows the time of day apart from acquiredAt. */
  acquiredTime?: string;
  view?: string;
  fileName?: string;
  /** An admin accepting a film that the frontal-film gate refused (audited as scan.gate_overridden). */
  gateOverride?: GateOverride;
}

export interface IngestResult {
  scanId: string;
  sha256: string;
  /** The day, at midnight UTC. */
  acquiredAt: Date;
  /** The time of day (a TIME value: 1970-01-01 UTC), when known. */
  acquiredTime: Date | null;
  /** Things the user should know but that did not stop the upload (e.g. DICOM patient id differs from the MRN). */
  warnings: string[];
  modelId: string;
  /** The model's extent estimate (0-8) with its interval; null for a model without an extent head. */
  extent: StoredExtent | null;
}

/** What became of one input of a batch: its scan, or the error that stopped it (DuplicateScanError included). */
export type IngestOutcome = ({ ok: true } & IngestResult) | { ok: false; error: Error };

export interface BatchIngestOptions {
  store?: ScanStore;
  /**
   * Runs inside the transaction that records these scans (`index` is the input's position): whatever must commit
   * together with them, e.g. a bulk job marking its files done, so that a crash never separates the two.
   */
  onRecorded?: (
    tx: Prisma.TransactionClient,
    recorded: { index: number; scanId: string; sha256: string; warnings: string[] }[],
  ) => Promise<void>;
  /** Added to each scan.uploaded audit event (ids only). */
  auditDetails?: Prisma.InputJsonObject;
  /** Images decoded at once (each decode may hold a 50-megapixel image). Default 2. */
  decodeConcurrency?: number;
  /** The pipeline's gate (pipeline.ts): refuses a film after embedding, before anything is stored. */
  gate?: Gate<PatientFilm>;
  /** Also store the viewer's 2048 px rendition, made from the same decoded pixels (a single upload). */
  fullRendition?: boolean;
  /** Milliseconds spent per step are added here (benchmarks). */
  timings?: StepTimings;
}

/** The look-up's facts about one input, carried through the pipeline to the record step. */
interface PatientFilm {
  input: IngestInput;
  /** The input's position in the batch. */
  index: number;
  patient: { id: string; mrn: string };
  /** Read from the decoded header (the pipeline's `facts` hook). */
  facts?: ScanFacts;
}

type ScanFacts = ReturnType<typeof scanFacts>;

function normaliseMrn(value: string): string {
  return value.trim().toUpperCase().replace(/\s+/g, "");
}

/** The acquisition date rule's refusal as an upload refusal (the file is fine; its date is not). */
function acquisitionOf(input: IngestInput, image: ImageFacts) {
  const given = input.acquiredAt ? splitInstant(input.acquiredAt) : undefined;
  if (given && input.acquiredTime) given.time = input.acquiredTime;
  try {
    return resolveAcquisition(given, image.dicom?.acquisition);
  } catch (error) {
    if (error instanceof AcquisitionDateError) throw new ScanRejectedError("bad_date", error.message);
    throw error;
  }
}

/** Date, view and warnings of a scan: what the caller gave, else what the DICOM header says. */
function scanFacts(input: IngestInput, patient: { mrn: string }, image: ImageFacts) {
  const acquisition = acquisitionOf(input, image);
  const warnings: string[] = [...acquisition.warnings];
  const dicomPatient = image.dicom?.patientId;
  if (dicomPatient && normaliseMrn(dicomPatient) !== normaliseMrn(patient.mrn)) {
    warnings.push(
      `The DICOM file names patient ID "${dicomPatient}", but this patient's MRN is "${patient.mrn}". ` +
        "The scan was filed under this patient as you chose; check that this is right.",
    );
  }
  const acquiredAt = dayDate(acquisition.day);
  const acquiredTime = acquisition.time === null ? null : timeDate(acquisition.time);
  const view = input.view?.trim() || image.dicom?.viewPosition || null;
  return { warnings, acquiredAt, acquiredTime, view };
}

/**
 * Only an admin may accept a film the frontal-film gate refuses, and only with a reason: the override is what lets a
 * rare real film through, so it is audited.
 */
function gateOverrideProblem(input: IngestInput, ctx: PublicActionContext): string | null {
  if (!input.gateOverride) return null;
  if (ctx.actor?.role !== "admin") return "Only an admin can accept a film that the frontal-film check refused.";
  if (input.gateOverride.reason.trim().length < 5) {
    return "Give a reason (at least 5 characters) for accepting a refused film.";
  }
  return null;
}

/**
 * Look up: which inputs go ahead. An unknown patient or an image already stored for the patient fails its input; the
 * same image twice for one patient in this batch goes ahead once, the others take its outcome (`sameAs`).
 */
async function lookUp(db: Db, inputs: readonly IngestInput[], shas: readonly string[], ctx: PublicActionContext) {
  const failed = new Map<number, Error>();
  const sameAs = new Map<number, number>();
  const films: FilmIn<PatientFilm>[] = [];
  const patientIds = [...new Set(inputs.map((input) => input.patientId))];
  const patients = new Map(
    (await db.patient.findMany({ where: { id: { in: patientIds } }, select: { id: true, mrn: true } })).map((p) => [
      p.id,
      p,
    ]),
  );
  const existing = await db.scan.findMany({
    where: { patientId: { in: patientIds }, sha256: { in: [...new Set(shas)] } },
    select: { id: true, patientId: true, sha256: true, acquiredAt: true, withdrawnAt: true },
  });
  const existingByKey = new Map(existing.map((e) => [`${e.patientId}:${e.sha256}`, e]));
  const firstOfKey = new Map<string, number>();
  inputs.forEach((input, index) => {
    const key = `${input.patientId}:${shas[index]}`;
    const dup = existingByKey.get(key);
    const patient = patients.get(input.patientId);
    const overrideProblem = gateOverrideProblem(input, ctx);
    if (overrideProblem) failed.set(index, new UserFacingError(overrideProblem));
    else if (!patient) failed.set(index, new UserFacingError(NO_SUCH_PATIENT));
    else if (dup) failed.set(index, new DuplicateScanError(dup.id, dup.acquiredAt, dup.withdrawnAt !== null));
    else if (firstOfKey.has(key)) sameAs.set(index, firstOfKey.get(key)!);
    else {
      firstOfKey.set(key, index);
      films.push({ meta: { input, index, patient }, bytes: input.bytes, sha256: shas[index]! });
    }
  });
  return { films, failed, sameAs };
}

interface Recorded extends IngestResult {
  index: number;
}

/** Record: scans, vectors and audit events of the batch, one statement per table. */
async function recordFilms(
  tx: Prisma.TransactionClient,
  films: readonly StoredFilm<PatientFilm>[],
  model: { id: string; dims: number },
  ctx: PublicActionContext,
  options: BatchIngestOptions,
): Promise<Recorded[]> {
  const rows = films.map((film) => {
    const { input, patient, index } = film.meta;
    return { film, index, id: randomUUID(), ...(film.meta.facts ?? scanFacts(input, patient, film.image)) };
  });
  await tx.scan.createMany({
    data: rows.map(({ film, id, acquiredAt, acquiredTime, view }) => ({
      id,
      patientId: film.meta.patient.id,
      acquiredAt,
      acquiredTime,
      view,
      sha256: film.sha256,
      storageKey: film.storageKey!,
      width: film.image.width,
      height: film.image.height,
      origin: film.image.format === "dicom" && film.meta.input.origin === "upload" ? "dicom" : film.meta.input.origin,
      uploadedBy: ctx.actor?.id ?? null,
    })),
  });
  await insertEmbeddings(
    tx,
    model,
    rows.map(({ id, film }) => ({ scanId: id, vector: film.vector, extent: film.extent })),
  );
  const overridden = rows.filter(({ film }) => film.gateOverride);
  if (overridden.length > 0) {
    await tx.auditEvent.createMany({
      data: overridden.map(({ film, id }) => ({
        action: "scan.gate_overridden" as const,
        actorId: ctx.actor?.id ?? null,
        actorEmail: ctx.actor?.email ?? null,
        targetType: "scan" as const,
        targetId: id,
        patientId: film.meta.patient.id,
        ip: ctx.ip,
        details: {
          reason: film.gateOverride!.reason,
          looksLike: film.gateOverride!.looksLike,
          frontalProbability: Number(film.gateOverride!.frontalProbability.toFixed(4)),
          distance: Number(film.gateOverride!.distance.toFixed(3)),
          modelId: model.id,
        },
      })),
    });
  }
  await tx.auditEvent.createMany({
    data: rows.map(({ film, id, warnings }) =>
      auditRow(ctx, {
        action: "scan.uploaded",
        targetType: "scan",
        targetId: id,
        patientId: film.meta.patient.id,
        details: {
          format: film.image.format,
          // As stored on the scan row: a DICOM upload is "dicom", as the API shows it.
          origin:
            film.image.format === "dicom" && film.meta.input.origin === "upload" ? "dicom" : film.meta.input.origin,
          bytes: film.bytes.length,
          ...(film.image.dicom?.executablePreamble ? { suspiciousPreamble: true } : {}),
          ...(warnings.length ? { warnings: warnings.length } : {}),
          ...options.auditDetails,
        },
      }),
    ),
  });
  const recorded = rows.map(({ film, index, id, acquiredAt, acquiredTime, warnings }) => ({
    index,
    scanId: id,
    sha256: film.sha256,
    acquiredAt,
    acquiredTime,
    warnings,
    modelId: model.id,
    extent: film.extent ?? null,
  }));
  await options.onRecorded?.(
    tx,
    recorded.map(({ index, scanId, sha256, warnings }) => ({ index, scanId, sha256, warnings })),
  );
  return recorded;
}

/** A film that failed on its own: a unique violation means the same image went in meanwhile, a duplicate. */
async function explain(db: Db, error: unknown, film: StoredFilm<PatientFilm>): Promise<Error> {
  if (isUniqueViolation(error)) {
    const winner = await db.scan.findFirst({ where: { patientId: film.meta.patient.id, sha256: film.sha256 } });
    if (winner) return new DuplicateScanError(winner.id, winner.acquiredAt, winner.withdrawnAt !== null);
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Many scans at once (bulk jobs): one embedding call per batch and one transaction for the rows of the whole batch.
 * Each input succeeds or fails on its own. Never throws for a bad input; throws only when the database or the model
 * is unusable.
 */
export async function ingestScans(
  db: Db,
  inputs: readonly IngestInput[],
  ctx: PublicActionContext,
  options: BatchIngestOptions = {},
): Promise<IngestOutcome[]> {
  const store = options.store ?? scanStore();
  const time = stepTimer(options.timings);
  const outcomes = new Array<IngestOutcome | undefined>(inputs.length);
  const shas = inputs.map((input) => input.sha256 ?? sha256Of(input.bytes, options.timings));
  const { films, failed, sameAs } = await time("lookup", () => lookUp(db, inputs, shas, ctx));
  for (const [index, error] of failed) outcomes[index] = { ok: false, error };

  const prepared = await prepareFilms(films, {
    concurrency: options.decodeConcurrency ?? 2,
    // A date that breaks the rule fails this file before it costs an embedding.
    facts: (meta, image) => ({ ...meta, facts: scanFacts(meta.input, meta.patient, image) }),
    gate: options.gate,
    frontalGate: { override: (meta) => meta.input.gateOverride },
    fullRendition: options.fullRendition,
    timings: options.timings,
  });
  for (const r of prepared.refused) outcomes[films[r.index]!.meta.index] = { ok: false, error: r.error };
  const model = prepared.films.length > 0 ? await activeModel(db) : undefined;
  const written = await writeFilms(prepared.films, {
    db,
    store,
    record: (tx, stored) => recordFilms(tx, stored, model!, ctx, options),
    onBatchFailure: "each",
    explain: (error, film) => explain(db, error, film),
    timings: options.timings,
  });
  written.forEach((w, k) => {
    const index = prepared.films[k]!.meta.index;
    if (!w.ok) outcomes[index] = { ok: false, error: w.error };
    else {
      const { scanId, sha256, acquiredAt, acquiredTime, warnings, modelId, extent } = w.value;
      outcomes[index] = { ok: true, scanId, sha256, acquiredAt, acquiredTime, warnings, modelId, extent };
    }
  });

  for (const [i, first] of sameAs) {
    const o = outcomes[first]!;
    outcomes[i] = o.ok ? { ok: false, error: new DuplicateScanError(o.scanId, o.acquiredAt) } : o;
  }
  return outcomes.map((o) => o ?? { ok: false, error: new Error("not processed") });
}

/** One scan (an upload, the API): the batch path with one input; its failure is thrown. */
export async function ingestScan(
  db: Db,
  input: IngestInput,
  ctx: PublicActionContext,
  store: ScanStore = scanStore(),
  timings?: StepTimings,
): Promise<IngestResult> {
  // The viewer's large rendition comes with a single upload, from the pixels decoded for the rest (its viewer opens
  // next); bulk and reference imports leave it to the first request (full-rendition.ts), as they do after a failure.
  const [outcome] = await ingestScans(db, [input], ctx, { store, decodeConcurrency: 1, fullRendition: true, timings });
  if (!outcome!.ok) throw outcome!.error;
  const { scanId, sha256, acquiredAt, acquiredTime, warnings, modelId, extent } = outcome!;
  return { scanId, sha256, acquiredAt, acquiredTime, warnings, modelId, extent };
}
