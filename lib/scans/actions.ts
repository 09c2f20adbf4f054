"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { requirePatientAccess } from "@/lib/patients/access";
import { refreshAfterStore } from "@/lib/timeline/refresh";
import { dayDate, timeText } from "./acquisition-date";
import { ingestScan } from "./ingest";
import { uploadScanInput } from "./schemas";

export const uploadScanAction = serverAction(
  defineAction({
    name: "scans.upload",
    roles: ["admin", "clinician"],
    input: uploadScanInput,
    handler: async (input, ctx) => {
      await requirePatientAccess(db(), ctx.actor, input.patientId);
      const result = await ingestScan(
        db(),
        {
          patientId: input.patientId,
          bytes: Buffer.from(await input.file.arrayBuffer()),
          origin: "upload",
          acquiredAt: input.acquiredAt ? dayDate(input.acquiredAt) : undefined,
          acquiredTime: input.acquiredTime,
          view: input.view,
          fileName: input.file.name,
          gateOverride: input.overrideGateReason ? { reason: input.overrideGateReason } : undefined,
        },
        ctx,
      );
      // The patient list's severity, trend and alert columns include the new scan at once.
      await refreshAfterStore(db(), input.patientId, "upload");
      return {
        scanId: result.scanId,
        acquiredAt: result.acquiredAt.toISOString(),
        acquiredTime: timeText(result.acquiredTime),
        warnings: result.warnings,
        modelId: result.modelId,
        extent: result.extent,
      };
    },
    // No revalidation: the patient pages are rendered per request, and a revalidated path would render the page the
    // form sits on once more inside the action's answer (auditing patient.viewed and neighbours.viewed a second
    // time) before the form goes to the new scan's page.
  }),
);
