// Any other /api/v1 path: a JSON 404, so API clients never get an HTML page back.
import { jsonError } from "@/lib/api/errors";

export const dynamic = "force-dynamic";

function unknownEndpoint(request: Request): Response {
  const { pathname } = new URL(request.url);
  return jsonError(404, `There is no API endpoint ${request.method} ${pathname}. See docs/api.md for the endpoints.`);
}

export const GET = unknownEndpoint;
export const POST = unknownEndpoint;
export const PUT = unknownEndpoint;
export const PATCH = unknownEndpoint;
export const DELETE = unknownEndpoint;
