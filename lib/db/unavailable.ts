// When the database is away or too slow. No Prisma import here: proxy.ts uses this too.
// Messages of node-postgres and pg-pool when the server is away or too slow, and PostgreSQL's own codes for a
// statement or lock wait that ran out (57014, 55P03) or a server that is starting or stopping (57P01-57P03).
const UNAVAILABLE_MESSAGES = [
  /Query read timeout/,
  /Connection terminated/,
  /timeout exceeded when trying to connect/,
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT/,
  /canceling statement due to (statement|lock) timeout/,
  /could not obtain lock/,
  /the database system is (starting up|shutting down|in recovery mode)/,
  /terminating connection due to administrator command/,
  /Unable to start a transaction in the given time/,
];
const UNAVAILABLE_CODES = new Set([
  "57014",
  "55P03",
  "57P01",
  "57P02",
  "57P03",
  "P1001",
  "P1002",
  "P1017",
  "P2024",
  "P2028",
]);

/**
 * True when the database could not be reached or did not answer in time (as opposed to refusing the request):
 * the request is answered 503 with Retry-After, and nothing was changed.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e !== "object") return false;
    const { code, message, originalCode } = e as { code?: unknown; message?: unknown; originalCode?: unknown };
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
    if (typeof originalCode === "string" && UNAVAILABLE_CODES.has(originalCode)) return true;
    if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((re) => re.test(message))) return true;
  }
  return false;
}

/** What the user reads when the database is away: nothing happened, and when to try again. */
export const DATABASE_UNAVAILABLE_MESSAGE =
  "Radtrack cannot reach its database right now (it did not answer in time). Nothing was changed; try again in a minute.";

/** Seconds a client should wait before trying again (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 30;
