import { z } from "zod";
import { SCAN_VIEWS } from "@/lib/domain";
import { isoDay, timeOfDay } from "./acquisition-date";

// The date rule lives in one module for every entry point (form, API, DICOM, bulk).
export { isoDay, timeOfDay } from "./acquisition-date";

const blankIsAbsent = (v: unknown) => (v === "" || v === null ? undefined : v);
const optionalDay = z.preprocess(blankIsAbsent, isoDay.optional());
const optionalTime = z.preprocess(blankIsAbsent, timeOfDay.optional());

export const uploadScanInput = z
  .object({
    patientId: z.uuid("Unknown patient."),
    file: z
      .instanceof(File, { message: "Choose an image file to upload." })
      .refine((f) => f.size > 0, "The file is empty."),
    acquiredAt: optionalDay,
    /** Time of day (HH:MM), so that several films of one day keep their order. */
    acquiredTime: optionalTime,
    view: z.preprocess(blankIsAbsent, z.enum(SCAN_VIEWS, { error: "Choose a listed view." }).optional()),
    /** Admins only: accept a film that the frontal-film check refused, with the reason (audited). */
    overrideGateReason: z.preprocess(
      blankIsAbsent,
      z
        .string()
        .trim()
        .min(5, "Give a reason of at least 5 characters for accepting a refused film.")
        .max(500, "Keep the reason under 500 characters.")
        .optional(),
    ),
  })
  .refine((input) => !input.acquiredTime || input.acquiredAt, {
    path: ["acquiredTime"],
    message: "Give the acquisition date with the time.",
  });

export type UploadScanInput = z.output<typeof uploadScanInput>;

export const WITHDRAW_REASON_MIN = 3;
export const WITHDRAW_REASON_MAX = 500;

/** Withdrawing a scan needs a reason: it is what the audit log and the patient page show afterwards. */
export const withdrawScanInput = z.object({
  scanId: z.uuid("Unknown scan."),
  reason: z
    .string({ error: "Give the reason for withdrawing this scan." })
    .trim()
    .min(WITHDRAW_REASON_MIN, `Give the reason for withdrawing this scan (at least ${WITHDRAW_REASON_MIN} characters).`)
    .max(WITHDRAW_REASON_MAX, `Keep the reason under ${WITHDRAW_REASON_MAX} characters.`),
});

export type WithdrawScanInput = z.output<typeof withdrawScanInput>;

/** Restore and purge name the scan only. */
export const scanIdInput = z.object({ scanId: z.uuid("Unknown scan.") });

export type ScanIdInput = z.output<typeof scanIdInput>;
