// Runs once when a Next.js server process starts. The bulk upload worker (lib/bulk/worker.ts), the drift worker
// (lib/timeline/drift-queue.ts), the DICOMweb poller (lib/dicomweb/worker.ts, idle until a PACS is configured) and
// the sender of results to the PACS (lib/results/queue.ts)
// live in the server process: one each per process, sharing its one ONNX session. So does the sweep of orphan files
// (lib/storage/orphan-sweep.ts), at start and every hour.
// Not during `next build`, not in the edge runtime, and not when RADTRACK_BULK_WORKER=0 (a deployment that runs web
// servers without workers).
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { databaseUrl, workersEnabled } = await import("./lib/config");
  if (!workersEnabled() || !databaseUrl()) return;
  const { startBulkWorker } = await import("./lib/bulk/worker");
  const { startDriftWorker } = await import("./lib/timeline/drift-queue");
  const { startOrphanSweeper } = await import("./lib/storage/orphan-sweep");
  const { startDicomwebWorker } = await import("./lib/dicomweb/worker");
  const { startResultsWorker } = await import("./lib/results/queue");
  const { startConfiguredDimseReceiver } = await import("./lib/dimse/service");
  const { scanStore } = await import("./lib/storage");
  const { db } = await import("./lib/db/client");
  startOrphanSweeper(db, scanStore());
  // Not awaited: the server must not wait for the queue (or a database that is still starting) to serve pages.
  const start = () =>
    Promise.all([startBulkWorker(), startDriftWorker(), startDicomwebWorker(), startResultsWorker()]).then(
      () => console.log("[radtrack] bulk upload, drift, DICOMweb poll and results workers started"),
      (error: unknown) => {
        console.error("[radtrack] background workers did not start (retrying in 10 s):", (error as Error).message);
        setTimeout(start, 10_000).unref();
      },
    );
  void start();
  // The C-STORE receiver, when RADTRACK_DIMSE_PORT is set: a port that cannot be opened is logged, not fatal.
  startConfiguredDimseReceiver().then(
    (receiver) => receiver && console.log("[radtrack] DICOM C-STORE receiver listening"),
    (error: unknown) => console.error(`[radtrack] ${(error as Error).message}`),
  );
}
