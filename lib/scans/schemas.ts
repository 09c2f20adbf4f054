import { z } from "zod";
import { SCAN_VIEWS } from "@/lib/domain";

// The checks after the format run only on well-formed input (pipe), so a bad date gets one message, not four.
export const isoDay = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Use the date format YYYY-MM-DD.")
  .pipe(z.string())
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    // Date.parse rolls 2026-02-30 over to March: a round trip catches days that do not exist.
    return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === d;
  }, "This date does not exist.")
  .refine(
    (d) => Date.parse(`${d}T00:00:00Z`) <= Date.now() + 86_400_000,
    "The acquisition date cannot be in the future.",
  )
  .refine((d) => d >= "1900-01-01", "The acquisition date is too far in the past.");

const optionalDay = z.preprocess((v) => (v === "" || v === null ? undefined : v), isoDay.optional());

export const uploadScanInput = z.object({
  patientId: z.uuid("Unknown patient."),
  file: z
    .instanceof(File, { message: "Choose an image file to upload." })
    .refine((f) => f.size > 0, "The file is empty."),
  acquiredAt: optionalDay,
  view: z.preprocess(
    (v) => (v === "" || v === null ? undefined : v),
    z.enum(SCAN_VIEWS, { error: "Choose a listed view." }).optional(),
  ),
});

export type UploadScanInput = z.output<typeof uploadScanInput>;
