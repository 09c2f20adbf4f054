// Scan upload and scan images for /api/v1 and the web UI's image routes. Upload runs the UI's own upload action
// (same validation, roles, ingest and audit); images are only ever the re-encoded renditions, never the original.
import { recordAudit } from "@/lib/audit/audit-log";
import { detectFileType } from "@/lib/image/detect";
import { requirePatientAccess } from "@/lib/patients/access";
import { uploadScanAction } from "@/lib/scans/actions";
import { uploadLimits } from "@/lib/config";
import { ensureHeatmap } from "@/lib/explain/heatmap";
import { ScanStateError, WITHDRAWN_NOT_ASSESSED } from "@/lib/scans/errors";
import { ensureFullRendition } from "@/lib/scans/full-rendition";
import { scanStore } from "@/lib/storage";
import { BlobNotFoundError, type BlobStream } from "@/lib/storage/blob-store";
import { formText, readMultipart, uploadTooLarge } from "./body";
import { ApiError, jsonResponse, notFound } from "./errors";
import { requirePatient } from "./patients";
import { runAction } from "./run-action";
import { requireUuid, type ApiContext } from "./route";

export async function uploadScanFromApi(ctx: ApiContext, rawPatientId: string | undefined): Promise<Response> {
  const patient = await requirePatient(ctx, rawPatientId);
  const { maxBytes } = uploadLimits();
  const form = await readMultipart(ctx.request, maxBytes);
  const file = form.get("file");
  if (file === null) throw new ApiError(400, 'Add the image file in the form field "file" (curl: -F file=@scan.dcm).');
  if (typeof file === "string") {
    throw new ApiError(400, 'The field "file" must be a file upload, not text (curl: -F file=@scan.dcm, with the @).');
  }
  if (file.size > maxBytes) throw uploadTooLarge(maxBytes, file.size);
  if (file.size > 0) {
    // The type is judged from the content alone; the name and the client's MIME type are not trusted.
    const detected = detectFileType(new Uint8Array(await file.slice(0, 4096).arrayBuffer()));
    if (detected.kind === "unsupported") {
      throw new ApiError(
        415,
        `The uploaded file is ${detected.description}, not a chest X-ray image. Upload a DICOM, JPEG or PNG file. Nothing was stored.`,
      );
    }
  }
  const result = await runAction(
    uploadScanAction,
    {
      patientId: patient.id,
      file,
      acquiredAt: formText(form, "acquiredAt"),
      acquiredTime: formText(form, "acquiredTime"),
      view: formText(form, "view"),
      overrideGateReason: formText(form, "overrideGateReason"),
    },
    ctx,
  );
  const body = {
    id: result.scanId,
    acquiredAt: result.acquiredAt,
    acquiredTime: result.acquiredTime,
    warnings: result.warnings,
    // The model's own estimate on the readers' 0-8 scale with its interval (null for an embedding-only model).
    severity: { modelId: result.modelId, extent: result.extent },
  };
  return jsonResponse(body, 201, {
    Location: `/api/v1/scans/${result.scanId}/preview`,
  });
}

export type ScanImage = "preview" | "thumbnail" | "full";

const FILE_OF = { preview: "preview.jpg", thumbnail: "thumb.jpg", full: "full.jpg" } as const;

export async function scanImage(ctx: ApiContext, rawScanId: string | undefined, kind: ScanImage): Promise<Response> {
  const id = requireUuid(rawScanId, "This scan");
  const scan = await ctx.db.scan.findUnique({ where: { id }, select: { id: true, storageKey: true, patientId: true } });
  if (!scan) throw notFound("This scan");
  await requirePatientAccess(ctx.db, ctx.actor, scan.patientId);
  // Streamed from the store (a folder or a bucket) through the app: access control and the audit stay here, and the
  // store needs no public address.
  let image: BlobStream;
  try {
    // Older scans (and imported ones) get their large rendition on first request.
    if (kind === "full") await ensureFullRendition(scanStore(), scan.storageKey);
    image = await scanStore().open(scan.storageKey, FILE_OF[kind]);
  } catch (error) {
    if (error instanceof BlobNotFoundError) {
      throw new ApiError(404, `The ${kind} image of this scan is missing from storage.`);
    }
    throw error;
  }
  try {
    if (kind !== "thumbnail") {
      await recordAudit(ctx.db, ctx, {
        action: "scan.viewed",
        targetType: "scan",
        targetId: scan.id,
        patientId: scan.patientId,
        details: { rendition: kind },
      });
    }
  } catch (error) {
    await image.body.cancel().catch(() => {});
    throw error;
  }
  return new Response(image.body, {
    status: 200,
    headers: {
      "Content-Type": "image/jpeg",
      "Content-Length": String(image.size),
      "Content-Disposition": `inline; filename="scan-${scan.id}-${kind}.jpg"`,
      // Patient images stay out of shared caches; previews are not cached at all, so every view is audited.
      "Cache-Control": kind === "thumbnail" ? "private, max-age=3600" : "private, no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/**
 * The occlusion heatmap of a scan as a PNG overlay (lib/explain), computed on the first request (seconds: one
 * embedding and one neighbour search per grid cell) and kept until the model or the library changes.
 */
export async function scanHeatmap(ctx: ApiContext, rawScanId: string | undefined): Promise<Response> {
  const id = requireUuid(rawScanId, "This scan");
  const scan = await ctx.db.scan.findUnique({
    where: { id },
    select: { id: true, storageKey: true, patientId: true, sha256: true, withdrawnAt: true },
  });
  if (!scan) throw notFound("This scan");
  await requirePatientAccess(ctx.db, ctx.actor, scan.patientId);
  if (scan.withdrawnAt) throw new ScanStateError(WITHDRAWN_NOT_ASSESSED);
  const store = scanStore();
  const record = await ensureHeatmap(ctx.db, store, scan);
  const png = await store.read(scan.storageKey, "heatmap.png");
  await recordAudit(ctx.db, ctx, {
    action: "scan.viewed",
    targetType: "scan",
    targetId: scan.id,
    patientId: scan.patientId,
    details: { rendition: "heatmap" },
  });
  return new Response(new Uint8Array(png), {
    status: 200,
    headers: {
      "Content-Type": "image/png",
      "Content-Length": String(png.length),
      "Cache-Control": "private, no-store",
      "X-Content-Type-Options": "nosniff",
      // The numbers behind the picture, for scripts and tests: the film's score and the largest change a cell made.
      "X-Radtrack-Score": record.base.toFixed(4),
      "X-Radtrack-Max-Change": Math.max(...record.deltas.map(Math.abs)).toFixed(4),
    },
  });
}
