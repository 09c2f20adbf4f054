// Is the database answering? One short probe on a connection of its own (not the request pool, which may be full
// of requests stuck on a paused server), shared by concurrent callers and reused for a moment, so that proxy.ts can
// answer 503 at once instead of letting every request wait out the database's timeouts, and the health endpoint can
// say which dependency is down.
import pg from "pg";
import { databaseTimeouts, databaseUrl } from "@/lib/config";

export interface DependencyStatus {
  ok: boolean;
  /** How long the check took. */
  ms: number;
  /** Why it failed, in words (never a connection string). */
  error?: string;
}

interface ProbeCache {
  at: number;
  result?: DependencyStatus;
  inflight?: Promise<DependencyStatus>;
}

// On globalThis: proxy.ts and the route handlers are bundled apart but run in one process.
const cache = globalThis as unknown as { radtrackDbProbe?: ProbeCache };

function describe(error: unknown, timeoutMs: number): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout|timed out/i.test(message)) return `no answer within ${timeoutMs} ms`;
  if (/ECONNREFUSED/.test(message)) return "connection refused";
  return message.replace(/postgres(ql)?:\/\/\S+/g, "(database)").slice(0, 200);
}

/** Connects and runs SELECT 1 within `timeoutMs`. */
export async function probeDatabase(url: string, timeoutMs: number): Promise<DependencyStatus> {
  const started = performance.now();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, ms: Math.round(performance.now() - started), error: describe(error, timeoutMs) };
  } finally {
    // Not awaited: on a paused server the goodbye would wait as long as the server does.
    void client.end().catch(() => {});
  }
}

/**
 * The database's state as of at most `maxAgeMs` ago: a fresh probe when the last one is older, one probe at a time
 * however many requests ask. Bounded by the connect timeout (RADTRACK_DB_CONNECT_TIMEOUT_MS).
 */
export function databaseStatus(maxAgeMs = 2_000): Promise<DependencyStatus> {
  const url = databaseUrl();
  if (!url) return Promise.resolve({ ok: false, ms: 0, error: "DATABASE_URL is not set" });
  const c = (cache.radtrackDbProbe ??= { at: 0 });
  if (c.result && performance.now() - c.at < maxAgeMs) return Promise.resolve(c.result);
  c.inflight ??= probeDatabase(url, databaseTimeouts().connectMs).then((result) => {
    c.result = result;
    c.at = performance.now();
    c.inflight = undefined;
    return result;
  });
  return c.inflight;
}

/** Forget the last probe (tests). */
export function resetDatabaseStatus(): void {
  cache.radtrackDbProbe = undefined;
}
