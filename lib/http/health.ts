// GET /api/health: whether this server can serve requests, and if not, which dependency is down. Open without a
// session (load balancers and monitors call it); it says up or down and how long each check took, nothing else.
import { databaseStatus, type DependencyStatus } from "@/lib/db/availability";
import { DATABASE_RETRY_AFTER_SECONDS } from "@/lib/db/unavailable";
import { blobStore } from "@/lib/storage";

async function storageStatus(timeoutMs: number): Promise<DependencyStatus> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  try {
    const check = blobStore().stat("health-check");
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([check, timeout]);
    return { ok: true, ms: ms() };
  } catch (error) {
    return { ok: false, ms: ms(), error: (error as Error).message.slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}

export async function healthResponse(): Promise<Response> {
  const [database, storage] = await Promise.all([databaseStatus(0), storageStatus(5_000)]);
  const dependencies = { database, storage };
  const down = Object.entries(dependencies)
    .filter(([, status]) => !status.ok)
    .map(([name]) => name);
  const body = { status: down.length ? "unavailable" : "ok", down, dependencies };
  return Response.json(body, {
    status: down.length ? 503 : 200,
    headers: {
      "Cache-Control": "no-store",
      ...(down.length ? { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) } : {}),
    },
  });
}
