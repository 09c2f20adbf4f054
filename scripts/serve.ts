// The HTTP server around Next.js. It exists for one reason: the client address. Next only fills X-Forwarded-For when
// the client did not send one, so a client could pick the address that login throttling and the audit log see.
// Here the header is always replaced: by the socket address, or, behind RADTRACK_TRUSTED_PROXIES reverse proxies,
// by the address those proxies report.
import http from "node:http";
import next from "next";
import { loadConfig } from "@/lib/config";
// Imported up front, not when stopping: a signal to the process group also stops tsx's compiler service, so a module
// loaded at shutdown could no longer be compiled.
import { stopBulkWorker } from "@/lib/bulk/worker";
import { stopJobQueue } from "@/lib/jobs/boss";
import { stopDriftWorker } from "@/lib/timeline/drift-queue";

const dev = process.argv.includes("--dev");
const cfg = loadConfig();
const host = process.env.HOST ?? "127.0.0.1";
const trustedProxies = Number(process.env.RADTRACK_TRUSTED_PROXIES ?? "0");

function clientAddress(req: http.IncomingMessage): string {
  const socketAddress = req.socket.remoteAddress ?? "";
  if (!trustedProxies) return socketAddress;
  const chain = String(req.headers["x-forwarded-for"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // Each trusted proxy appends the address it saw; the client is the entry just before the trusted ones.
  return chain[chain.length - trustedProxies] ?? socketAddress;
}

const app = next({ dev, hostname: host, port: cfg.port });
await app.prepare();
const handle = app.getRequestHandler();

const server = http.createServer((req, res) => {
  req.headers["x-forwarded-for"] = clientAddress(req);
  void handle(req, res);
});
// Behind a load balancer (docs/scaling.md) an idle connection must be closed by the proxy, never by us first: a
// request the proxy sends on a connection we are closing fails with a reset. Proxies idle out after 60 s or less
// (Node's own default here is 5 s, which also races clients that reuse a connection after a pause).
server.keepAliveTimeout = 75_000;
server.headersTimeout = 76_000;
server.on("error", (error: NodeJS.ErrnoException) => {
  console.error(
    error.code === "EADDRINUSE"
      ? `Port ${cfg.port} is already in use. Set PORT to a free port.`
      : `Server error: ${error.message}`,
  );
  process.exit(1);
});
server.listen(cfg.port, host, () => {
  const shown = host === "0.0.0.0" || host === "::" ? "localhost" : host;
  console.log(`Radtrack is ready on http://${shown}:${cfg.port}`);
  process.send?.({ ready: true });
});

// The job queue closes its connections before the process goes: left open, the launcher stopping the embedded
// database under them made pg-boss print "Connection terminated unexpectedly" on every shutdown.
let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeIdleConnections();
  // The workers first (their timers query the database), then the queue; capped, so a stuck job cannot keep the
  // process (and the launcher, which stops the database after it) waiting.
  const stopped = Promise.allSettled([stopBulkWorker(), stopDriftWorker()]).then(() => stopJobQueue());
  await Promise.race([stopped.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 8_000).unref())]);
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stop());
