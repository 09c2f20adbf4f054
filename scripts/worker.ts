// `npm run worker`: a background worker for a deployment of several processes (docs/scaling.md). It serves no pages;
// it takes jobs from the pg-boss queues on the shared PostgreSQL: bulk uploads (files shared with the other workers,
// lib/bulk/claims.ts), drift recomputation, re-embedding after a model switch and DICOMweb polls of the PACS (one
// poll at a time across the deployment), results sent back to the PACS, and sweeps orphan files. Embedding
// runs on the GPU when one is present (EMBED_PROVIDER=auto picks CUDA, then WebGPU, then the CPU).
// Any number of workers on any number of machines: every job is idempotent, and a killed worker's work is finished
// by the others. Needs DATABASE_URL (the embedded database serves one process: `npm start`).
import { stopBulkWorker, startBulkWorker } from "@/lib/bulk/worker";
import { db } from "@/lib/db/client";
import { startDicomwebWorker, stopDicomwebWorker } from "@/lib/dicomweb/worker";
import { startResultsWorker, stopResultsWorker } from "@/lib/results/queue";
import { startConfiguredDimseReceiver, stopDimseReceiver } from "@/lib/dimse/service";
import { embeddingStatus } from "@/lib/embedding";
import { stopJobQueue } from "@/lib/jobs/boss";
import { secureDataDir } from "@/lib/runtime/data-dir";
import { scanStore } from "@/lib/storage";
import { requestReembedding, startReembedWorker } from "@/lib/scans/reembed-queue";
import { startOrphanSweeper } from "@/lib/storage/orphan-sweep";
import { startDriftWorker, stopDriftWorker } from "@/lib/timeline/drift-queue";
import { deploymentConfig, fail, LaunchError, log, prepareSchema, verifyModel } from "./launch/prepare";

const { cfg, databaseUrl } = deploymentConfig("worker");
await secureDataDir(cfg.dataDir);
let stopReembed: () => Promise<void> = async () => {};
try {
  await prepareSchema(cfg, databaseUrl);
  const { modelId, missing } = await verifyModel(databaseUrl);
  const status = await embeddingStatus();
  if (status.state === "ready") log(`embedding on ${status.provider} (${status.threads} threads)`);
  await Promise.all([startBulkWorker(), startDriftWorker(), startDicomwebWorker(), startResultsWorker()]);
  stopReembed = await startReembedWorker(db(), { log });
  if (await startConfiguredDimseReceiver({ cfg })) log(`DICOM C-STORE receiver on port ${cfg.dimse!.port}`);
  startOrphanSweeper(db, scanStore());
  if (missing > 0) await requestReembedding(modelId);
} catch (error) {
  fail(error instanceof LaunchError ? error.message : `The worker could not start: ${(error as Error).message}`);
}
log(`worker ${process.pid} ready: bulk, drift, re-embedding, DICOMweb poll and results queues`);

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  log("worker stopping (jobs in hand are finished by the other workers, or by this one after a restart)");
  await Promise.allSettled([
    stopBulkWorker(),
    stopDriftWorker(),
    stopDicomwebWorker(),
    stopResultsWorker(),
    stopDimseReceiver(),
    stopReembed(),
  ]);
  await stopJobQueue().catch(() => {});
  await db()
    .$disconnect()
    .catch(() => {});
  process.exit(0);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void shutdown());
