"use server";

import { defineAction } from "@/lib/actions/define-action";
import { serverAction } from "@/lib/actions/server-action";
import { db } from "@/lib/db/client";
import { requirePatientAccess } from "@/lib/patients/access";
import { refreshAfterStore } from "@/lib/timeline/refresh";
import { dayDate, timeText } from "./acquisition-date";
import { ingestScan } from "./ingest";
import { scanIdInput, uploadScanInput, withdrawScanInput } from "./schemas";
import { purgeScan, restoreScan, withdrawScan } from "./withdraw";

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

// Withdraw, restore and purge (lib/scans/withdraw.ts). No revalidation, as for uploads: the patient page is rendered
// per request and the client refreshes it after a success.
export const withdrawScanAction = serverAction(
  defineAction({
    name: "scans.withdraw",
    roles: ["admin", "clinician"],
    input: withdrawScanInput,
    handler: (input, ctx) => withdrawScan(db(), input, ctx),
  }),
);

export const restoreScanAction = serverAction(
  defineAction({
    name: "scans.restore",
    roles: ["admin"],
    input: scanIdInput,
    handler: (input, ctx) => restoreScan(db(), input, ctx),
  }),
);

export const purgeScanAction = serverAction(
  defineAction({
    name: "scans.purge",
    roles: ["admin"],
    input: scanIdInput,
    handler: (input, ctx) => purgeScan(db(), input, ctx),
  }),
);
