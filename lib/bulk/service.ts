// Bulk upload, as the admin goes through it: declare the files (a draft job), send them in chunks, have them
// checked (per-file reasons, patients to create), start the job, watch it, cancel it, download the report.
import type { ActionContext } from "@/lib/actions/define-action";
import { UserFacingError } from "@/lib/errors";
import { recordAudit } from "@/lib/audit/audit-log";
import { config } from "@/lib/config";
import { csvLine } from "@/lib/csv";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { formatBytes } from "@/lib/image";
import { insertPatient } from "@/lib/patients/service";
import { blobStoreAt } from "@/lib/storage";
import { ScanStore } from "@/lib/storage/scan-store";
import { checkUpload, type StagedUpload } from "./check";
import { BULK_JOB_TYPE, finishJob, itemCounts, type ItemCounts } from "./finish";
import { claimHolders } from "./claims";
import { acquireLease, leaseIsFree, releaseLease } from "./lease";
import { bulkLimits } from "./limits";
import { enqueueBulkJob } from "./queue";
import { publishItems, removeJobFiles, removeStaging, sizeOf, uploadPath, writeChunk } from "./staging";

export { BULK_JOB_TYPE } from "./finish";

export interface BulkOptions {
  dataDir?: string;
}

const dataDirOf = (options: BulkOptions) => options.dataDir ?? config().dataDir;

/** What a bulk job's `payload` holds. */
export interface BulkPayload {
  uploads: StagedUpload[];
  /** uploading: files are coming; checking; checked: rows exist, waiting for the admin; refused; submitted. */
  phase: "uploading" | "checking" | "checked" | "refused" | "submitted";
  /** Why the whole upload was refused. */
  problems?: string[];
  ip?: string | null;
  patientsCreated?: number;
}

export function payloadOf(job: { payload: unknown }): BulkPayload {
  const p = (job.payload ?? {}) as Partial<BulkPayload>;
  return { uploads: p.uploads ?? [], phase: p.phase ?? "uploading", ...p } as BulkPayload;
}

export class BulkNotFoundError extends UserFacingError {
  constructor() {
    super("This bulk upload does not exist.");
    this.name = "BulkNotFoundError";
  }
}

async function bulkJob(db: Db, jobId: string) {
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job || job.type !== BULK_JOB_TYPE) throw new BulkNotFoundError();
  return job;
}

export interface DeclaredFile {
  name: string;
  size: number;
}

/** Step 1: the files the browser is about to send. Nothing is written to disk yet. */
export async function createDraft(
  db: Db,
  input: { files: DeclaredFile[]; manifest?: DeclaredFile },
  ctx: ActionContext,
): Promise<{ jobId: string }> {
  const limits = bulkLimits();
  if (input.files.length > limits.maxFiles) {
    throw new UserFacingError(`Choose at most ${limits.maxFiles} files (or put them in one zip).`);
  }
  const total = input.files.reduce((sum, f) => sum + f.size, 0);
  if (total > limits.maxTotalBytes) {
    throw new UserFacingError(
      `These files hold ${formatBytes(total)}; one upload may hold at most ${formatBytes(limits.maxTotalBytes)}.`,
    );
  }
  if (input.manifest && input.manifest.size > limits.maxManifestBytes) {
    throw new UserFacingError(`The manifest is larger than ${formatBytes(limits.maxManifestBytes)}.`);
  }
  const uploads: StagedUpload[] = [
    ...input.files.map((f) => ({ name: f.name, size: f.size })),
    ...(input.manifest ? [{ name: input.manifest.name, size: input.manifest.size, manifest: true }] : []),
  ];
  const payload: BulkPayload = { uploads, phase: "uploading", ip: ctx.ip };
  const job = await db.job.create({
    data: {
      type: BULK_JOB_TYPE,
      status: "draft",
      createdBy: ctx.actor.id,
      payload: payload as unknown as Prisma.InputJsonObject,
    },
  });
  return { jobId: job.id };
}

/** Step 2, once per chunk (the upload route). */
export async function receiveChunk(
  db: Db,
  jobId: string,
  index: number,
  offset: number,
  bytes: Uint8Array,
  options: BulkOptions = {},
): Promise<{ received: number; complete: boolean }> {
  const job = await bulkJob(db, jobId);
  const payload = payloadOf(job);
  if (job.status !== "draft" || payload.phase !== "uploading") {
    throw new UserFacingError("This upload no longer takes files.");
  }
  const upload = payload.uploads[index];
  if (!upload) throw new UserFacingError("No such file in this upload.");
  if (offset < 0 || offset + bytes.length > upload.size) {
    throw new UserFacingError(`This chunk does not fit the file (${upload.size} bytes declared).`);
  }
  try {
    const received = await writeChunk(uploadPath(dataDirOf(options), jobId, index), offset, bytes);
    return { received, complete: received === upload.size };
  } catch (error) {
    if (error instanceof RangeError) throw new UserFacingError(`A chunk is missing: ${error.message}.`);
    throw error;
  }
}

export type CheckResult = { refused: true; problems: string[] } | { refused: false; counts: ItemCounts };

/** Step 3: every check, before any work. Per-file outcomes become bulk_items rows. */
export async function checkDraft(
  db: Db,
  jobId: string,
  _ctx: ActionContext,
  options: BulkOptions = {},
): Promise<CheckResult> {
  const dataDir = dataDirOf(options);
  const job = await bulkJob(db, jobId);
  const payload = payloadOf(job);
  if (job.status !== "draft" || payload.phase !== "uploading") {
    throw new UserFacingError("This upload has already been checked.");
  }
  for (const [index, upload] of payload.uploads.entries()) {
    const held = await sizeOf(uploadPath(dataDir, jobId, index));
    if (held !== upload.size) {
      throw new UserFacingError(
        `${upload.name} is incomplete (${formatBytes(held)} of ${formatBytes(upload.size)} received). Send it again.`,
      );
    }
  }
  // Claim the draft, so that a second click does not check it twice at the same time.
  const claimed = await db.job.updateMany({
    where: { id: jobId, status: "draft", payload: { path: ["phase"], equals: "uploading" } },
    data: { payload: { ...payload, phase: "checking" } as unknown as Prisma.InputJsonObject },
  });
  if (claimed.count !== 1) throw new UserFacingError("This upload has already been checked.");

  let outcome;
  try {
    outcome = await checkUpload(db, jobId, payload.uploads, { dataDir, limits: bulkLimits() });
  } catch (error) {
    await db.job.update({
      where: { id: jobId },
      data: { payload: { ...payload, phase: "uploading" } as unknown as Prisma.InputJsonObject },
    });
    throw error;
  }
  if (!outcome.ok) {
    await db.job.update({
      where: { id: jobId },
      data: {
        status: "failed",
        error: "The upload was refused; nothing was stored.",
        finishedAt: new Date(),
        payload: { ...payload, phase: "refused", problems: outcome.problems } as unknown as Prisma.InputJsonObject,
      },
    });
    await removeStaging(dataDir, jobId);
    return { refused: true, problems: outcome.problems };
  }
  try {
    const staged = outcome.items.filter((item) => item.status !== "refused").map((item) => item.seq);
    await publishItems(dataDir, blobStoreAt(options.dataDir), jobId, staged);
  } catch (error) {
    // The uploads became checked files, so the draft cannot go back to "uploading": it ends, and says why.
    console.error(`bulk job ${jobId}: the checked files could not be stored:`, (error as Error).message);
    await db.job.update({
      where: { id: jobId },
      data: {
        status: "failed",
        error: "The files could not be written to storage; nothing was stored.",
        finishedAt: new Date(),
        payload: { ...payload, phase: "refused" } as unknown as Prisma.InputJsonObject,
      },
    });
    await removeJobFiles(dataDir, blobStoreAt(options.dataDir), jobId);
    throw new UserFacingError("The files could not be written to storage. Nothing was stored; upload them again.");
  }
  try {
    // The rows and the phase commit together: a draft is never left "checking" with half its rows.
    await db.$transaction(
      async (tx) => {
        for (let i = 0; i < outcome.items.length; i += 500) {
          await tx.bulkItem.createMany({
            data: outcome.items.slice(i, i + 500).map((item) => ({
              jobId,
              seq: item.seq,
              file: item.file,
              bytes: item.bytes,
              sha256: item.sha256,
              format: item.format,
              mrn: item.mrn,
              patientName: item.patientName,
              patientId: item.patientId,
              acquiredAt: item.acquiredAt ? new Date(`${item.acquiredAt}T00:00:00Z`) : null,
              view: item.view,
              status: item.status,
              reason: item.reason,
            })),
          });
        }
        await tx.job.update({
          where: { id: jobId },
          data: { payload: { ...payload, phase: "checked" } as unknown as Prisma.InputJsonObject },
        });
      },
      { maxWait: 30_000, timeout: 120_000 },
    );
  } catch (error) {
    // Whatever went wrong, the job ends with a reason instead of blocking every later upload until the daily sweep.
    console.error(`bulk job ${jobId}: the check results could not be recorded:`, (error as Error).name);
    await db.job.update({
      where: { id: jobId },
      data: {
        status: "failed",
        error: "The check results could not be recorded; nothing was stored.",
        finishedAt: new Date(),
        payload: { ...payload, phase: "refused" } as unknown as Prisma.InputJsonObject,
      },
    });
    await removeJobFiles(dataDir, blobStoreAt(options.dataDir), jobId);
    throw new UserFacingError("The check results could not be recorded. Nothing was stored; upload the files again.");
  }
  return { refused: false, counts: await itemCounts(db, jobId) };
}

export interface MissingPatient {
  mrn: string;
  files: number;
  /** From the DICOM header, when the files carry one. */
  name: string | null;
}

export async function missingPatients(db: Db, jobId: string): Promise<MissingPatient[]> {
  const rows = await db.bulkItem.findMany({
    where: { jobId, status: "needs_patient" },
    select: { mrn: true, patientName: true },
    orderBy: { seq: "asc" },
  });
  const byMrn = new Map<string, MissingPatient>();
  for (const row of rows) {
    const entry = byMrn.get(row.mrn!) ?? { mrn: row.mrn!, files: 0, name: null };
    entry.files++;
    entry.name ??= row.patientName;
    byMrn.set(row.mrn!, entry);
  }
  return [...byMrn.values()];
}

/** Step 4: the admin starts the job, creating the listed patients if they ticked the box. */
export async function submitJob(
  db: Db,
  input: { jobId: string; createPatients: boolean },
  ctx: ActionContext,
): Promise<{ jobId: string; files: number; patientsCreated: number }> {
  const job = await bulkJob(db, input.jobId);
  const payload = payloadOf(job);
  if (job.status !== "draft" || payload.phase !== "checked") {
    throw new UserFacingError(
      job.status === "draft" ? "Check the upload before starting it." : "This job has already been started or ended.",
    );
  }
  const missing = await missingPatients(db, input.jobId);
  const result = await db.$transaction(
    async (tx) => {
      const claimed = await tx.job.updateMany({
        where: { id: input.jobId, status: "draft" },
        data: { status: "queued" },
      });
      if (claimed.count !== 1) throw new UserFacingError("This job has already been started or ended.");
      let patientsCreated = 0;
      if (input.createPatients) {
        for (const m of missing) {
          let patient: { id: string } | null = await tx.patient.findUnique({ where: { mrn: m.mrn } });
          if (!patient) {
            patient = await insertPatient(
              tx,
              { mrn: m.mrn, name: m.name ?? `Unnamed (MRN ${m.mrn})`, sex: "unknown", notes: "" },
              ctx,
              { via: "bulk", job: input.jobId },
            );
            patientsCreated++;
          }
          await tx.bulkItem.updateMany({
            where: { jobId: input.jobId, status: "needs_patient", mrn: m.mrn },
            data: { status: "ready", patientId: patient.id, reason: null },
          });
        }
      } else {
        await tx.$executeRaw`
          UPDATE "bulk_items" SET "status" = 'refused',
            "reason" = "reason" || ' It was not created (not confirmed when the job started).', "updated_at" = now()
          WHERE "job_id" = ${input.jobId}::uuid AND "status" = 'needs_patient'`;
      }
      // Names were only needed to create patients; the report does not carry them.
      await tx.bulkItem.updateMany({
        where: { jobId: input.jobId, patientName: { not: null } },
        data: { patientName: null },
      });
      const files = await tx.bulkItem.count({ where: { jobId: input.jobId, status: "ready" } });
      if (files === 0) throw new UserFacingError("Nothing to process: every file was refused.");
      await tx.job.update({
        where: { id: input.jobId },
        data: {
          total: files,
          processed: 0,
          failed: 0,
          payload: { ...payload, phase: "submitted", ip: ctx.ip, patientsCreated } as unknown as Prisma.InputJsonObject,
        },
      });
      await recordAudit(tx, ctx, {
        action: "bulk.submitted",
        targetType: "job",
        targetId: input.jobId,
        details: {
          files,
          refused: await tx.bulkItem.count({ where: { jobId: input.jobId, status: "refused" } }),
          patientsCreated,
        },
      });
      return { files, patientsCreated };
    },
    { maxWait: 30_000, timeout: 60_000 },
  );
  // Should the queue be unreachable now, the sweeper sends the job once it is back.
  await enqueueBulkJob(input.jobId).catch((error: unknown) =>
    console.error(`bulk job ${input.jobId}: not queued yet:`, (error as Error).message),
  );
  return { jobId: input.jobId, ...result };
}

/** Cancels a draft, a queued or a running job. Files already stored stay stored. */
export async function cancelJob(
  db: Db,
  jobId: string,
  ctx: ActionContext,
  options: BulkOptions = {},
): Promise<{ jobId: string }> {
  const dataDir = dataDirOf(options);
  const job = await bulkJob(db, jobId);
  const cancelled = await db.job.updateMany({
    where: { id: jobId, status: { in: ["draft", "queued", "running"] } },
    data: { status: "cancelled", error: "Cancelled by an administrator." },
  });
  if (cancelled.count !== 1) throw new UserFacingError("This job has already ended.");
  await recordAudit(db, ctx, {
    action: "bulk.cancelled",
    targetType: "job",
    targetId: jobId,
    details: { was: job.status },
  });
  // Nobody working on it: close it now. Otherwise its worker closes it after the batch in hand.
  const now = await db.job.findUniqueOrThrow({ where: { id: jobId } });
  const idle = leaseIsFree(now) && (await claimHolders(db, jobId)).length === 0;
  const lease = idle ? await acquireLease(db, jobId, ["cancelled"]) : null;
  if (lease?.state === "cancelled") {
    try {
      await finishJob(db, jobId, "cancelled", { dataDir, store: new ScanStore(blobStoreAt(options.dataDir)) });
    } finally {
      await releaseLease(db, jobId, lease.token).catch(() => {});
    }
  }
  return { jobId };
}

export interface BulkProgress {
  id: string;
  status: string;
  total: number;
  processed: number;
  failed: number;
  stored: number;
  duplicate: number;
  startedAt: string | null;
  finishedAt: string | null;
  /** Files per second since the job started. */
  rate: number | null;
  etaSeconds: number | null;
  error: string | null;
}

export async function jobProgress(db: Db, jobId: string): Promise<BulkProgress> {
  const job = await bulkJob(db, jobId);
  const counts = await itemCounts(db, jobId);
  const processed = counts.stored + counts.duplicate + counts.failed;
  const end = job.finishedAt ?? new Date();
  const seconds = job.startedAt ? (end.getTime() - job.startedAt.getTime()) / 1000 : 0;
  const rate = seconds > 0 && processed > 0 ? processed / seconds : null;
  const left = Math.max(job.total - processed, 0);
  return {
    id: job.id,
    status: job.status,
    total: job.total,
    processed,
    failed: counts.failed,
    stored: counts.stored,
    duplicate: counts.duplicate,
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    rate,
    etaSeconds: rate && (job.status === "running" || job.status === "queued") ? Math.round(left / rate) : null,
    error: job.error,
  };
}

const REPORT_STATUS: Record<string, string> = {
  refused: "refused",
  needs_patient: "needs patient",
  ready: "pending",
  stored: "stored",
  duplicate: "already stored",
  failed: "failed",
  cancelled: "cancelled",
};

/** The per-file report: file, MRN, status, scan id or reason. */
export async function reportCsv(db: Db, jobId: string): Promise<string> {
  await bulkJob(db, jobId);
  const items = await db.bulkItem.findMany({ where: { jobId }, orderBy: { seq: "asc" } });
  let out = csvLine(["file", "mrn", "acquired_at", "status", "scan_id", "reason"]);
  for (const item of items) {
    out += csvLine([
      item.file,
      item.mrn,
      item.acquiredAt?.toISOString().slice(0, 10),
      REPORT_STATUS[item.status] ?? item.status,
      item.scanId,
      item.reason,
    ]);
  }
  return out;
}

export async function listBulkJobs(db: Db, limit = 50) {
  return db.job.findMany({
    where: { type: BULK_JOB_TYPE },
    orderBy: { createdAt: "desc" },
    take: limit,
    select: {
      id: true,
      status: true,
      total: true,
      processed: true,
      failed: true,
      createdAt: true,
      finishedAt: true,
      error: true,
      payload: true,
    },
  });
}

/** Everything the job page shows. Items are capped; the CSV report has them all. */
export async function jobView(db: Db, jobId: string, itemLimit = 500) {
  const job = await bulkJob(db, jobId);
  const [counts, items, missing] = await Promise.all([
    itemCounts(db, jobId),
    db.bulkItem.findMany({ where: { jobId }, orderBy: { seq: "asc" }, take: itemLimit }),
    missingPatients(db, jobId),
  ]);
  return { job, payload: payloadOf(job), counts, items, missing };
}
