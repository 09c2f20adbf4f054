// STOW-RS (PS3.18 10.5): a PACS or a router pushes instances to POST /dicomweb/studies as multipart/related
// application/dicom. Each part goes through the same receive path as a polled instance; the answer is the standard
// DICOM JSON store response (referenced / failed SOP sequences).
import { multipartDecode } from "dicomweb-client/src/message.js";
import { ApiError, jsonResponse } from "@/lib/api/errors";
import { readCapped } from "@/lib/api/body";
import type { ApiContext } from "@/lib/api/route";
import { formatBytes } from "@/lib/image/errors";
import type { ReceiveOutcome } from "./receive";
import { receiveInstances } from "./receive";
import { activeDicomweb, receiveSettings } from "./settings";

/** Below next.config.js's proxyClientMaxBodySize (60 MB), which would cut a larger body short. */
export const STOW_MAX_BYTES = 59 * 1024 * 1024;

/** PS3.4 C.4.2.1.4 / PS3.18 failure reasons used in the answer. */
const FAILURE = { processing: 0x0110, cannotUnderstand: 0xc000 } as const;

function boundaryOf(contentType: string): string {
  if (!/^multipart\/related\b/i.test(contentType)) {
    throw new ApiError(
      415,
      'Send instances as multipart/related; type="application/dicom" (STOW-RS), one DICOM file per part.',
    );
  }
  const type = /;\s*type="?([^";]+)"?/i.exec(contentType)?.[1]?.toLowerCase();
  if (type && type !== "application/dicom") {
    throw new ApiError(415, `Only application/dicom parts are accepted (got type="${type}"): send Part 10 files.`);
  }
  const boundary = /;\s*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new ApiError(400, "The Content-Type has no boundary parameter.");
  return boundary;
}

export function splitParts(body: Buffer, boundary: string): Buffer[] {
  const start = body.indexOf(`--${boundary}`);
  // The codec takes the first "--" line as the boundary: it must be the declared one, within the preamble it scans.
  if (start < 0 || start > 900) throw new ApiError(400, "The body does not start with the declared boundary.");
  let parts: Uint8Array[];
  try {
    parts = multipartDecode(new Uint8Array(body.subarray(start)).buffer);
  } catch (error) {
    throw new ApiError(400, `The multipart/related body could not be read: ${(error as Error).message}`);
  }
  if (parts.length === 0) throw new ApiError(400, "The multipart/related body holds no instance.");
  return parts.map((p) => Buffer.from(p));
}

function storeResponse(outcomes: readonly ReceiveOutcome[], baseUrl: string) {
  const ok = (o: ReceiveOutcome) => o.outcome === "ingested" || o.outcome === "duplicate" || o.outcome === "pending";
  const item = (o: ReceiveOutcome) => ({
    "00081150": { vr: "UI", Value: o.sopClassUid ? [o.sopClassUid] : undefined },
    "00081155": { vr: "UI", Value: o.sopInstanceUid ? [o.sopInstanceUid] : undefined },
  });
  const referenced = outcomes.filter(ok).map((o) => ({
    ...item(o),
    ...(o.studyUid ? { "00081190": { vr: "UR", Value: [`${baseUrl}/studies/${o.studyUid}`] } } : {}),
  }));
  const failed = outcomes
    .filter((o) => !ok(o))
    .map((o) => ({
      ...item(o),
      "00081197": { vr: "US", Value: [o.outcome === "refused" ? FAILURE.cannotUnderstand : FAILURE.processing] },
    }));
  return {
    ...(referenced.length ? { "00081199": { vr: "SQ", Value: referenced } } : {}),
    ...(failed.length ? { "00081198": { vr: "SQ", Value: failed } } : {}),
  };
}

export async function stowFromApi(ctx: ApiContext): Promise<Response> {
  const boundary = boundaryOf(ctx.request.headers.get("content-type") ?? "");
  const body = await readCapped(
    ctx.request,
    STOW_MAX_BYTES,
    () =>
      new ApiError(
        413,
        `A STOW-RS request may carry at most ${formatBytes(STOW_MAX_BYTES)}; send the study in several requests. ` +
          "Nothing was stored.",
        { maxBytes: STOW_MAX_BYTES },
      ),
  );
  const files = splitParts(body, boundary);
  const active = await activeDicomweb(ctx.db);
  const remote = `stow:${ctx.ip ?? "unknown"}`;
  const outcomes = await receiveInstances(ctx.db, files, { via: "stow", remote }, receiveSettings(active.config), ctx);
  const accepted = outcomes.filter((o) => o.outcome !== "refused" && o.outcome !== "failed").length;
  // PS3.18 10.5.3: 200 all stored, 202 some failed, 409 none stored.
  const status = accepted === outcomes.length ? 200 : accepted > 0 ? 202 : 409;
  const base = new URL(ctx.request.url);
  const response = jsonResponse(storeResponse(outcomes, `${base.origin}/dicomweb`), status);
  // The reasons of refusals are on the status page and in the audit log; the answer keeps to the standard.
  response.headers.set("content-type", "application/dicom+json");
  return response;
}
