// The answer to a request that cannot be served because the database is away: 503 with Retry-After and a message
// that says nothing was changed; JSON for API clients, a small page for browsers.
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE } from "@/lib/db/unavailable";

const HEADERS = { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS), "Cache-Control": "no-store" };

export function wantsJson(request: Request): boolean {
  const { pathname } = new URL(request.url);
  return (
    pathname.startsWith("/api/") ||
    pathname.startsWith("/dicomweb/") ||
    (request.headers.get("accept") ?? "").includes("application/json")
  );
}

export function databaseUnavailableResponse(request: Request): Response {
  if (wantsJson(request)) {
    return Response.json({ error: DATABASE_UNAVAILABLE_MESSAGE }, { status: 503, headers: HEADERS });
  }
  const page =
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Radtrack is unavailable</title></head>' +
    `<body><h1>Radtrack is unavailable</h1><p>${DATABASE_UNAVAILABLE_MESSAGE}</p></body></html>`;
  return new Response(page, { status: 503, headers: { ...HEADERS, "Content-Type": "text/html; charset=utf-8" } });
}
