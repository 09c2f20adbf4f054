// POST /api/v1/scans/{id}/withdraw {"reason": "..."}, POST /api/v1/scans/{id}/restore (admin) and DELETE
// /api/v1/scans/{id} (admin: purge, a withdrawn scan only), through the UI's own actions (lib/scans/actions.ts), so
// roles, validation and audit are the same. See docs/api.md.
import { purgeScanAction, restoreScanAction, withdrawScanAction } from "@/lib/scans/actions";
import { readJsonObject } from "./body";
import { jsonResponse } from "./errors";
import { requireUuid, type ApiContext } from "./route";
import { runAction } from "./run-action";

export async function withdrawScanFromApi(ctx: ApiContext, rawScanId: string | undefined): Promise<Response> {
  const scanId = requireUuid(rawScanId, "This scan");
  const body = await readJsonObject(ctx.request);
  const result = await runAction(withdrawScanAction, { scanId, reason: body.reason }, ctx);
  return jsonResponse({
    id: result.scanId,
    patientId: result.patientId,
    withdrawn: true,
    withdrawnAt: result.withdrawnAt,
    changed: result.changed,
  });
}

export async function restoreScanFromApi(ctx: ApiContext, rawScanId: string | undefined): Promise<Response> {
  const scanId = requireUuid(rawScanId, "This scan");
  const result = await runAction(restoreScanAction, { scanId }, ctx);
  return jsonResponse({ id: result.scanId, patientId: result.patientId, withdrawn: false, changed: result.changed });
}

export async function purgeScanFromApi(ctx: ApiContext, rawScanId: string | undefined): Promise<Response> {
  const scanId = requireUuid(rawScanId, "This scan");
  const result = await runAction(purgeScanAction, { scanId }, ctx);
  return jsonResponse({
    id: result.scanId,
    purged: result.purged,
    filesRemoved: result.filesRemoved,
    sharedWith: result.sharedWith,
  });
}
