// One scan in: validate and decode, embed, store the renditions, then record scan + vector + audit in one
// transaction. All or nothing: a failure at any step leaves no row and no file that this call created.
import { createHash, randomUUID } from "node:crypto";
import { type PublicActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import { uploadLimits } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import type { Prisma } from "@/lib/db/generated/client";
import type { ScanOrigin } from "@/lib/db/generated/enums";
import { insertEmbedding, insertEmbeddings } from "@/lib/db/vector-sql";
import { embedImage, embedImages } from "@/lib/embedding";
import {
  decodeScan,
  makePreview,
  makeThumbnail,
  ScanValidationError,
  type DecodedScan,
  type ScanErrorCode,
} from "@/lib/image";
import { scanStore } from "@/lib/storage";
import type { ScanStore } from "@/lib/storage/scan-store";
import { keepFullRendition } from "./full-rendition";
import { activeModel, type ActiveModel } from "./active-model";

export interface IngestInput {
  patientId: string;
  bytes: Buffer;
  origin: Exclude<ScanOrigin, "reference">;
  /** Defaults to the DICOM acquisition date, else now. */
  acquiredAt?: Date;
  view?: string;
  fileName?: string;
}

export interface IngestResult {
  scanId: string;
  sha256: string;
  acquiredAt: Date;
  /** Things the user should know but that did not stop the upload (e.g. DICOM patient id differs from the MRN). */
  warnings: string[];
}

export class DuplicateScanError extends UserFacingError {
  constructor(
    readonly existingScanId: string,
    acquiredAt: Date | null,
  ) {
    super(
      `This image is already stored for this patient (scan ${existingScanId}` +
        `${acquiredAt ? `, acquired ${acquiredAt.toISOString().slice(0, 10)}` : ""}). Nothing was added.`,
    );
    this.name = "DuplicateScanError";
  }
}

/** A file refused by validation: the message is for the user, the code lets the API pick its status. */
export class ScanRejectedError extends UserFacingError {
  constructor(
    readonly code: ScanErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ScanRejectedError";
  }
}

export function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The configured store (the data directory or a bucket). */
export { scanStore };

/** Decodes with the configured limits; a refusal becomes a message for the user. */
export async function decodeForIngest(bytes: Buffer): Promise<DecodedScan> {
  try {
    return await decodeScan(bytes, uploadLimits());
  } catch (error) {
    if (error instanceof ScanValidationError) throw new ScanRejectedError(error.code, error.message);
    throw error;
  }
}

function normaliseMrn(value: string): string {
  return value.trim().toUpperCase().replace(/\s+/g, "");
}

/** Date, view and warnings of a scan: what the caller gave, else what the DICOM header says. */
function scanFacts(input: IngestInput, patient: { mrn: string }, decoded: DecodedScan) {
  const warnings: string[] = [];
  const dicomPatient = decoded.dicom?.patientId;
  if (dicomPatient && normaliseMrn(dicomPatient) !== normaliseMrn(patient.mrn)) {
    warnings.push(
      `The DICOM file names patient ID "${dicomPatient}", but this patient's MRN is "${patient.mrn}". ` +
        "The scan was filed under this patient as you chose; check that this is right.",
    );
  }
  const acquiredAt =
    input.acquiredAt ??
    (decoded.dicom?.acquisitionDate ? new Date(`${decoded.dicom.acquisitionDate}T00:00:00Z`) : new Date());
  const view = input.view?.trim() || decoded.dicom?.viewPosition || null;
  return { warnings, acquiredAt, view };
}

interface ScanRecord {
  input: IngestInput;
  patientId: string;
  decoded: DecodedScan;
  sha256: string;
  storageKey: string;
  acquiredAt: Date;
  view: string | null;
  warnings: string[];
  modelId: string;
  vector: Float32Array;
  ctx: PublicActionContext;
  auditDetails?: Prisma.InputJsonObject;
}

/** A DICOM file uploaded by hand is stored (and audited, and served by the API) as origin "dicom". */
function scanOrigin(r: ScanRecord) {
  return r.decoded.format === "dicom" && r.input.origin === "upload" ? ("dicom" as const) : r.input.origin;
}

function scanRow(r: ScanRecord) {
  return {
    patientId: r.patientId,
    acquiredAt: r.acquiredAt,
    view: r.view,
    sha256: r.sha256,
    storageKey: r.storageKey,
    width: r.decoded.width,
    height: r.decoded.height,
    origin: scanOrigin(r),
    uploadedBy: r.ctx.actor?.id ?? null,
  };
}

function uploadedEvent(r: ScanRecord, scanId: string) {
  return {
    action: "scan.uploaded" as const,
    actorId: r.ctx.actor?.id ?? null,
    actorEmail: r.ctx.actor?.email ?? null,
    targetType: "scan" as const,
    targetId: scanId,
    patientId: r.patientId,
    ip: r.ctx.ip,
    details: {
      format: r.decoded.format,
      origin: scanOrigin(r),
      bytes: r.input.bytes.length,
      ...(r.decoded.dicom?.executablePreamble ? { suspiciousPreamble: true } : {}),
      ...(r.warnings.length ? { warnings: r.warnings.length } : {}),
      ...r.auditDetails,
    },
  };
}

/** The rows of one scan (scan, vector, audit event), inside the caller's transaction. */
async function recordScan(tx: Prisma.TransactionClient, r: ScanRecord) {
  const row = await tx.scan.create({ data: scanRow(r) });
  await insertEmbedding(tx, { scanId: row.id, modelId: r.modelId, vector: r.vector });
  await recordAudit(tx, uploadedEvent(r, row.id));
  return row;
}

/** recordScan for many scans at once: one statement per table instead of three round trips per scan. */
async function recordScans(tx: Prisma.TransactionClient, rs: readonly ScanRecord[], model: ActiveModel) {
  const ids = rs.map(() => randomUUID());
  await tx.scan.createMany({ data: rs.map((r, k) => ({ id: ids[k]!, ...scanRow(r) })) });
  await insertEmbeddings(
    tx,
    model,
    rs.map((r, k) => ({ scanId: ids[k]!, vector: r.vector })),
  );
  await tx.auditEvent.createMany({ data: rs.map((r, k) => uploadedEvent(r, ids[k]!)) });
  return ids;
}

export async function ingestScan(
  db: Db,
  input: IngestInput,
  ctx: PublicActionContext,
  store: ScanStore = scanStore(),
): Promise<IngestResult> {
  const sha256 = sha256Of(input.bytes);
  const patient = await db.patient.findUnique({ where: { id: input.patientId } });
  if (!patient) throw new UserFacingError("This patient does not exist.");
  const existing = await db.scan.findFirst({ where: { patientId: patient.id, sha256 } });
  if (existing) throw new DuplicateScanError(existing.id, existing.acquiredAt);

  const decoded = await decodeForIngest(input.bytes);
  const { warnings, acquiredAt, view } = scanFacts(input, patient, decoded);

  const model = await activeModel(db);
  const [vector, preview, thumbnail] = await Promise.all([
    embedImage(decoded),
    makePreview(decoded),
    makeThumbnail(decoded),
  ]);
  const stored = await store.put(sha256, { original: input.bytes, preview, thumbnail });
  try {
    const scan = await db.$transaction((tx) =>
      recordScan(tx, {
        input,
        patientId: patient.id,
        decoded,
        sha256,
        storageKey: stored.key,
        acquiredAt,
        view,
        warnings,
        modelId: model.id,
        vector,
        ctx,
      }),
    );
    // The viewer's large image, from the pixels in hand; not awaited (the viewer makes it on demand if this fails).
    keepFullRendition(store, stored.key, decoded).catch((error: unknown) => {
      console.error(`[radtrack] large rendition of scan ${scan.id} not made now: ${(error as Error).message}`);
    });
    return { scanId: scan.id, sha256, acquiredAt, warnings };
  } catch (error) {
    // Another ingest of the same content may have committed meanwhile and now shares the folder.
    if (stored.created && !(await db.scan.findFirst({ where: { storageKey: stored.key } }))) {
      await store.remove(stored.key);
    }
    if (isUniqueViolation(error)) {
      const winner = await db.scan.findFirst({ where: { patientId: patient.id, sha256 } });
      if (winner) throw new DuplicateScanError(winner.id, winner.acquiredAt);
    }
    throw error;
  }
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
    recorded: { index: number; scanId: string; warnings: string[] }[],
  ) => Promise<void>;
  /** Added to each scan.uploaded audit event (ids only). */
  auditDetails?: Prisma.InputJsonObject;
  /** Images decoded at once (each decode may hold a 50-megapixel image). Default 2. */
  decodeConcurrency?: number;
  /** Milliseconds spent per step are added here (benchmarks). */
  timings?: Record<string, number>;
}

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

const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

/**
 * Many scans at once, for bulk uploads: the same checks and steps as ingestScan, but the images go to the embedding
 * session together (one inference per EMBED_BATCH) and the rows of the whole batch are written in one transaction.
 * Each input succeeds or fails on its own, all or nothing per scan: a failed input leaves no row and no file that
 * this call created. Never throws for a bad input; throws only when the database or the model is unusable.
 */
export async function ingestScans(
  db: Db,
  inputs: readonly IngestInput[],
  ctx: PublicActionContext,
  options: BatchIngestOptions = {},
): Promise<IngestOutcome[]> {
  const store = options.store ?? scanStore();
  let clock = performance.now();
  const lap = (step: string) => {
    const now = performance.now();
    if (options.timings) options.timings[step] = (options.timings[step] ?? 0) + now - clock;
    clock = now;
  };
  const outcomes: (IngestOutcome | undefined)[] = new Array(inputs.length);
  const fail = (i: number, error: unknown) => (outcomes[i] = { ok: false, error: asError(error) });
  const shas = inputs.map((input) => sha256Of(input.bytes));
  const patientIds = [...new Set(inputs.map((input) => input.patientId))];
  const patients = new Map((await db.patient.findMany({ where: { id: { in: patientIds } } })).map((p) => [p.id, p]));
  const existing = await db.scan.findMany({
    where: { patientId: { in: patientIds }, sha256: { in: [...new Set(shas)] } },
    select: { id: true, patientId: true, sha256: true, acquiredAt: true },
  });
  const existingByKey = new Map(existing.map((e) => [`${e.patientId}:${e.sha256}`, e]));

  // The same image twice for one patient in this batch: the first goes ahead, the others wait for its outcome.
  const firstOfKey = new Map<string, number>();
  const sameAs = new Map<number, number>();
  const todo: number[] = [];
  inputs.forEach((input, i) => {
    const key = `${input.patientId}:${shas[i]}`;
    const dup = existingByKey.get(key);
    if (!patients.has(input.patientId)) fail(i, new UserFacingError("This patient does not exist."));
    else if (dup) fail(i, new DuplicateScanError(dup.id, dup.acquiredAt));
    else if (firstOfKey.has(key)) sameAs.set(i, firstOfKey.get(key)!);
    else {
      firstOfKey.set(key, i);
      todo.push(i);
    }
  });

  lap("lookup");
  const decoded = new Map<number, DecodedScan>();
  await mapLimit(todo, options.decodeConcurrency ?? 2, async (i) => {
    try {
      decoded.set(i, await decodeForIngest(inputs[i]!.bytes));
    } catch (error) {
      fail(i, error);
    }
  });
  const ready = todo.filter((i) => decoded.has(i));
  const model = ready.length ? await activeModel(db) : undefined;
  lap("decode");

  // One call for the batch; should one image make the session refuse the lot, each is retried alone.
  const vectors = new Map<number, Float32Array>();
  try {
    const out = await embedImages(ready.map((i) => decoded.get(i)!));
    ready.forEach((i, k) => vectors.set(i, out[k]!));
  } catch {
    await Promise.all(
      ready.map(async (i) => {
        try {
          vectors.set(i, await embedImage(decoded.get(i)!));
        } catch (error) {
          fail(i, error);
        }
      }),
    );
  }

  lap("embed");
  const records: ScanRecord[] = [];
  const recordIndex: number[] = [];
  const created = new Map<number, boolean>();
  await mapLimit(
    ready.filter((i) => vectors.has(i)),
    options.decodeConcurrency ?? 2,
    async (i) => {
      const input = inputs[i]!;
      const image = decoded.get(i)!;
      try {
        const [preview, thumbnail] = await Promise.all([makePreview(image), makeThumbnail(image)]);
        const stored = await store.put(shas[i]!, { original: input.bytes, preview, thumbnail });
        created.set(i, stored.created);
        const facts = scanFacts(input, patients.get(input.patientId)!, image);
        records[i] = {
          input,
          patientId: input.patientId,
          decoded: image,
          sha256: shas[i]!,
          storageKey: stored.key,
          ...facts,
          modelId: model!.id,
          vector: vectors.get(i)!,
          ctx,
          auditDetails: options.auditDetails,
        };
        recordIndex.push(i);
      } catch (error) {
        fail(i, error);
      }
    },
  );
  recordIndex.sort((a, b) => a - b);
  lap("renditions+store");

  const succeed = (i: number, scanId: string) => {
    const r = records[i]!;
    outcomes[i] = { ok: true, scanId, sha256: r.sha256, acquiredAt: r.acquiredAt, warnings: r.warnings };
  };
  const cleanUp = async (indices: readonly number[]) => {
    for (const i of indices) {
      const key = records[i]!.storageKey;
      // Another ingest of the same content may have committed meanwhile and now shares the folder.
      if (created.get(i) && !(await db.scan.findFirst({ where: { storageKey: key } }))) await store.remove(key);
    }
  };

  if (recordIndex.length > 0) {
    let batchCommitted = false;
    try {
      const rows = await db.$transaction(
        async (tx) => {
          const ids = await recordScans(
            tx,
            recordIndex.map((i) => records[i]!),
            model!,
          );
          const recorded = recordIndex.map((i, k) => ({ index: i, scanId: ids[k]!, warnings: records[i]!.warnings }));
          await options.onRecorded?.(tx, recorded);
          return recorded;
        },
        { maxWait: 30_000, timeout: 120_000 },
      );
      for (const { index, scanId } of rows) succeed(index, scanId);
      batchCommitted = true;
    } catch {
      // Most likely one scan collided with a concurrent upload of the same image: record them one by one, so the
      // others still go in.
    }
    if (!batchCommitted) {
      for (const i of recordIndex) {
        const r = records[i]!;
        try {
          const scanId = await db.$transaction(
            async (tx) => {
              const row = await recordScan(tx, r);
              await options.onRecorded?.(tx, [{ index: i, scanId: row.id, warnings: r.warnings }]);
              return row.id;
            },
            { maxWait: 30_000, timeout: 60_000 },
          );
          succeed(i, scanId);
        } catch (error) {
          await cleanUp([i]);
          if (isUniqueViolation(error)) {
            const winner = await db.scan.findFirst({ where: { patientId: r.patientId, sha256: r.sha256 } });
            if (winner) {
              fail(i, new DuplicateScanError(winner.id, winner.acquiredAt));
              continue;
            }
          }
          fail(i, error);
        }
      }
    }
  }

  lap("database");
  for (const [i, first] of sameAs) {
    const o = outcomes[first]!;
    outcomes[i] = o.ok ? { ok: false, error: new DuplicateScanError(o.scanId, o.acquiredAt) } : o;
  }
  return outcomes.map((o) => o ?? { ok: false, error: new Error("not processed") });
}
