// Response headers that limit what a page may do in the browser, and the early refusals proxy.ts makes for server
// actions (another site's form, a body over the upload limit) before Next.js would fail them with a bare 500.
import { formatBytes } from "@/lib/image/errors";

/** A fresh, unguessable nonce per request: Next.js reads it from the request's CSP and puts it on its scripts. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Scripts only from this origin with this request's nonce ('strict-dynamic' lets those load Next's chunks); no inline
 * script, no eval (outside `next dev`, whose React needs it). Styles may be inline: React renders style attributes,
 * which no nonce can cover, and a style cannot run code.
 */
export function contentSecurityPolicy(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const text = (status: number, message: string) =>
  new Response(message, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });

/** Server actions are POSTs carrying a Next-Action header. */
export function isServerAction(request: Request): boolean {
  return request.method === "POST" && request.headers.has("next-action");
}

/**
 * A server action posted from another site (the Origin is not this host): 403. Next.js would refuse it too, but as
 * an unexplained 500. The host is the one Next.js compares with (X-Forwarded-Host, else Host).
 */
export function crossOriginAction(request: Request): Response | null {
  if (!isServerAction(request)) return null;
  const origin = request.headers.get("origin");
  if (!origin) return null;
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    // "null" (sandboxed frames, file://) or garbage: not this site.
  }
  if (originHost !== null && originHost === host) return null;
  return text(403, "This form was sent from another site; Radtrack only accepts its own forms. Nothing was changed.");
}

// Room for the other form fields and the multipart framing around the file.
const FORM_OVERHEAD = 1024 * 1024;

/** A server action body over the upload limit: 413 with the limit in words, before Next.js reads a byte of it. */
export function oversizedAction(request: Request, maxUploadBytes: number): Response | null {
  if (!isServerAction(request)) return null;
  const length = Number(request.headers.get("content-length") ?? "0");
  if (!(length > maxUploadBytes + FORM_OVERHEAD)) return null;
  return text(
    413,
    `The upload is larger than the limit of ${formatBytes(maxUploadBytes)} per scan (RADTRACK_MAX_UPLOAD_MB). Nothing was stored.`,
  );
}
