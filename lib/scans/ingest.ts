// One scan in: validate and decode, embed, store the renditions, then record scan + vector + audit in one
// transaction. All or nothing: a failure at any step leaves no row and no file that this call created.
import { createHash } from "node:crypto";
import { UserFacingError, type PublicActionContext } from "@/lib/actions/define-action";
import { recordAudit } from "@/lib/audit/audit-log";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import type { ScanOrigin } from "@/lib/db/generated/enums";
import { insertEmbedding } from "@/lib/db/vector-sql";
import { embedImage } from "@/lib/embedding";
import {
  decodeScan,
  makePreview,
  makeThumbnail,
  ScanValidationError,
  type DecodedScan,
  type ScanErrorCode,
} from "@/lib/image";
import { ScanStore } from "@/lib/storage/scan-store";
import { activeModel } from "./active-model";

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

export function scanStore(): ScanStore {
  return ScanStore.forDataDir(config().dataDir);
}

export function uploadLimits() {
  const mb = Number(process.env.RADTRACK_MAX_UPLOAD_MB ?? 50);
  const mpx = Number(process.env.RADTRACK_MAX_MEGAPIXELS ?? 50);
  return { maxBytes: Math.round(mb * 1024 * 1024), maxPixels: Math.round(mpx * 1_000_000) };
}

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

  const model = await activeModel(db);
  const [vector, preview, thumbnail] = await Promise.all([
    embedImage(decoded),
    makePreview(decoded),
    makeThumbnail(decoded),
  ]);
  const stored = await store.put(sha256, { original: input.bytes, preview, thumbnail });
  try {
    const scan = await db.$transaction(async (tx) => {
      const row = await tx.scan.create({
        data: {
          patientId: patient.id,
          acquiredAt,
          view,
          sha256,
          storageKey: stored.key,
          width: decoded.width,
          height: decoded.height,
          origin: decoded.format === "dicom" && input.origin === "upload" ? "dicom" : input.origin,
          uploadedBy: ctx.actor?.id ?? null,
        },
      });
      await insertEmbedding(tx, { scanId: row.id, modelId: model.id, vector });
      await recordAudit(tx, {
        action: "scan.uploaded",
        actorId: ctx.actor?.id ?? null,
        actorEmail: ctx.actor?.email ?? null,
        targetType: "scan",
        targetId: row.id,
        patientId: patient.id,
        ip: ctx.ip,
        details: {
          format: decoded.format,
          origin: input.origin,
          bytes: input.bytes.length,
          ...(decoded.dicom?.executablePreamble ? { suspiciousPreamble: true } : {}),
          ...(warnings.length ? { warnings: warnings.length } : {}),
        },
      });
      return row;
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
