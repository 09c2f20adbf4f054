import { z } from "zod";
import { REFERENCE_CLASSES } from "@/lib/domain";

export const relabelReferenceInput = z.object({
  scanId: z.uuid("Unknown reference scan."),
  class: z.enum(REFERENCE_CLASSES, { error: "Choose healthy, infected or severe." }),
});

export const referenceListQuery = z.object({
  class: z.enum(REFERENCE_CLASSES).optional().catch(undefined),
  source: z.string().trim().max(200).optional().catch(undefined),
  q: z.string().trim().max(100).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

export type RelabelReferenceInput = z.output<typeof relabelReferenceInput>;
export type ReferenceListQuery = z.output<typeof referenceListQuery>;
