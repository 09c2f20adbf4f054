// Request bodies, read with a cap: a JSON object for small requests, multipart/form-data for uploads. The cap is
// enforced while reading, so an oversized upload is refused before it is held in memory.
import { formatBytes } from "@/lib/image/errors";
import { ApiError } from "./errors";

const JSON_LIMIT = 256 * 1024;
/** Room for the multipart boundaries and the small text fields next to the file. */
const MULTIPART_OVERHEAD = 1024 * 1024;

export async function readCapped(request: Request, limit: number, tooLarge: () => ApiError): Promise<Buffer> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  if (Number.isFinite(declared) && total < declared) {
    // Not the client's doing: something in front of the handler (Next's proxy body buffer) cut the body short.
    throw new ApiError(
      413,
      `The request body was cut off after ${formatBytes(total)} of ${formatBytes(declared)} before Radtrack could read ` +
        "it: the server's proxy body limit (proxyClientMaxBodySize in next.config.js) is below the upload limit. " +
        "Ask the administrator to raise it. Nothing was stored.",
    );
  }
  return Buffer.concat(chunks);
}

export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  const type = request.headers.get("content-type") ?? "";
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "Send the request body as JSON with the header `Content-Type: application/json`.");
  }
  const bytes = await readCapped(
    request,
    JSON_LIMIT,
    () => new ApiError(413, `The JSON body is larger than ${formatBytes(JSON_LIMIT)}.`),
  );
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new ApiError(
      400,
      bytes.length === 0 ? "The request body is empty: send a JSON object." : "The request body is not valid JSON.",
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ApiError(400, "The request body must be a JSON object.");
  }
  return value as Record<string, unknown>;
}

export function uploadTooLarge(maxBytes: number, size?: number): ApiError {
  return new ApiError(
    413,
    `${size === undefined ? "The upload is" : `The file is ${formatBytes(size)}, which is`} larger than the limit of ` +
      `${formatBytes(maxBytes)} per scan (RADTRACK_MAX_UPLOAD_MB). Nothing was stored.`,
    { maxBytes },
  );
}

export async function readMultipart(request: Request, maxFileBytes: number): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\b/i.test(type)) {
    throw new ApiError(
      415,
      'Send the scan as multipart/form-data with the image in the field "file" (curl: -F file=@scan.dcm).',
    );
  }
  const bytes = await readCapped(request, maxFileBytes + MULTIPART_OVERHEAD, () => uploadTooLarge(maxFileBytes));
  try {
    return await new Response(new Uint8Array(bytes), { headers: { "content-type": type } }).formData();
  } catch {
    throw new ApiError(400, "The multipart/form-data body could not be read; it may be truncated or malformed.");
  }
}

/** A text field of a form: absent and empty both read as undefined. */
export function formText(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  if (value === null) return undefined;
  if (typeof value !== "string") throw new ApiError(400, `The field "${name}" must be text, not a file.`);
  return value === "" ? undefined : value;
}
