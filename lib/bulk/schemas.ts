import { z } from "zod";

const declaredFile = z.object({
  name: z.string().trim().min(1, "A file has no name.").max(1024, "A file name is longer than 1024 characters."),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

export const createBulkInput = z.object({
  files: z.array(declaredFile).min(1, "Choose a zip file or the images to upload.").max(100_000),
  manifest: declaredFile.optional(),
});

export const bulkJobInput = z.object({ jobId: z.uuid("Unknown bulk upload.") });

export const submitBulkInput = z.object({
  jobId: z.uuid("Unknown bulk upload."),
  createPatients: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
});
