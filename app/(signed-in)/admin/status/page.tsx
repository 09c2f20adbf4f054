import type { Metadata } from "next";
import Link from "next/link";
import { AutoRefresh } from "@/components/auto-refresh";
import { SeedProgressLine, seedIsRunning } from "@/components/seed-status";
import { requirePageActor } from "@/lib/auth/current-actor";
import { loadConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { embeddingStatus } from "@/lib/embedding";
import { scansMissingEmbedding } from "@/lib/scans/reembed";
import { readSeedProgress } from "@/lib/reference/seed-progress";
import { orphanSweepState } from "@/lib/storage/orphan-sweep";
import { driftWorkerState, pendingDriftRefreshes } from "@/lib/timeline/drift-queue";
import { countStaleSummaries } from "@/lib/timeline/staleness";
import { PacsStatusPanel } from "./pacs-status";

export const metadata: Metadata = { title: "System status" };

export default async function StatusPage() {
  await requirePageActor(["admin"]);
  const [status, byClass, models, patients, scans, withdrawn, staleDrift, pendingDrift, seed] = await Promise.all([
    embeddingStatus(),
    db().referenceLabel.groupBy({ by: ["class"], _count: { _all: true } }),
    db().model.findMany({
      orderBy: { createdAt: "asc" },
      select: { id: true, dims: true, sha256: true, createdAt: true },
    }),
    db().patient.count(),
    db().scan.count({ where: { patientId: { not: null }, withdrawnAt: null } }),
    db().scan.count({ where: { patientId: { not: null }, withdrawnAt: { not: null } } }),
    countStaleSummaries(db()).catch(() => null),
    pendingDriftRefreshes(),
    readSeedProgress(loadConfig().dataDir),
  ]);
  const drift = driftWorkerState();
  const sweep = orphanSweepState();
  const count = (c: string) => byClass.find((b) => b.class === c)?._count._all ?? 0;
  const missing = status.state === "ready" ? await scansMissingEmbedding(db(), status.modelId) : null;
  return (
    <section>
      <h1>System status</h1>
      <section className="panel" aria-labelledby="embedding-heading">
        <h2 id="embedding-heading">Embedding engine</h2>
        {status.state === "ready" ? (
          <dl className="facts">
            <dt>Model</dt>
            <dd>
              {status.modelId} ({status.dims} dimensions)
            </dd>
            <dt>Execution provider</dt>
            <dd>
              {status.provider}
              {status.requestedProvider !== status.provider ? ` (requested ${status.requestedProvider})` : ""}
            </dd>
            {status.fallbackReason && (
              <>
                <dt>Fallback reason</dt>
                <dd>{status.fallbackReason}</dd>
              </>
            )}
            <dt>Threads / batch</dt>
            <dd>
              {status.threads} / {status.batchSize}
            </dd>
            <dt>Inference runs on</dt>
            <dd>{status.inferenceThread === "worker" ? "a worker thread" : "the server's main thread"}</dd>
            <dt>Session created</dt>
            <dd>{status.sessionCreatedAt}</dd>
            <dt>Scans without a vector of this model</dt>
            <dd>{missing === 0 ? "none" : `${missing} (re-embedding runs in the background after a model change)`}</dd>
          </dl>
        ) : (
          <p className="form-error" role="alert">
            The embedding model is not usable: {status.error}
          </p>
        )}
      </section>
      <section className="panel" aria-labelledby="library-heading">
        <h2 id="library-heading">Reference library</h2>
        <dl className="facts">
          <dt>Healthy</dt>
          <dd>{count("healthy")}</dd>
          <dt>Infected</dt>
          <dd>{count("infected")}</dd>
          <dt>Severe</dt>
          <dd>{count("severe")}</dd>
          <dt>Patients / patient scans</dt>
          <dd>
            {patients} / {scans}
            {withdrawn > 0 ? ` (and ${withdrawn} withdrawn, awaiting restore or purge)` : ""}
          </dd>
        </dl>
        <dl className="facts" aria-label="First-start preparation">
          <dt>First-start preparation</dt>
          <dd>
            {seed ? <SeedProgressLine progress={seed} /> : "none on this server (RADTRACK_DEMO_DATA is off)"}
            {seedIsRunning(seed) && <AutoRefresh seconds={5} />}
          </dd>
          {seed && (
            <>
              <dt>Started / last update</dt>
              <dd>
                {seed.startedAt.slice(0, 19).replace("T", " ")} / {seed.updatedAt.slice(0, 19).replace("T", " ")} UTC
              </dd>
            </>
          )}
        </dl>
        <p className="muted">
          Import a corpus folder with <code>npm run import:reference -- &lt;folder&gt;</code>; review and correct labels
          in the <Link href="/admin/reference">reference library</Link>.
        </p>
      </section>
      <section className="panel" aria-labelledby="drift-heading">
        <h2 id="drift-heading">Drift recomputation</h2>
        <dl className="facts">
          <dt>Worker in this server</dt>
          <dd>{drift.started ? "running" : "not started (RADTRACK_BULK_WORKER=0 or no job queue)"}</dd>
          <dt>Patients whose drift is out of date</dt>
          <dd>{staleDrift === null ? "unknown" : staleDrift === 0 ? "none" : staleDrift}</dd>
          <dt>Queued runs</dt>
          <dd>{pendingDrift === null ? "unknown (job queue unavailable)" : pendingDrift}</dd>
          <dt>Current run</dt>
          <dd>{drift.running ? `since ${drift.running.startedAt} (${drift.running.reason})` : "none"}</dd>
          <dt>Last run</dt>
          <dd>
            {drift.last
              ? `${drift.last.startedAt}: ${drift.last.patients} patients in ${drift.last.seconds.toFixed(1)} s ` +
                `(${drift.last.reason})${drift.last.error ? `; failed: ${drift.last.error}` : ""}`
              : "none since the server started"}
          </dd>
        </dl>
        <p className="muted">
          Severity values are recomputed after a reference import, a model change or a bulk upload; each stored value
          records the model it came from.
        </p>
      </section>
      <PacsStatusPanel />
      <section className="panel" aria-labelledby="storage-heading">
        <h2 id="storage-heading">Stored files</h2>
        <dl className="facts">
          <dt>Orphan sweep in this server</dt>
          <dd>{sweep.started ? "every hour and at start" : "not started (RADTRACK_BULK_WORKER=0)"}</dd>
          <dt>Orphan folders removed since the server started</dt>
          <dd>{sweep.totalRemoved}</dd>
          <dt>Last sweep</dt>
          <dd>
            {sweep.last
              ? `${sweep.last.startedAt}: ${sweep.last.examined} folders examined, ${sweep.last.removed} removed in ` +
                `${sweep.last.seconds.toFixed(1)} s${sweep.last.error ? `; failed: ${sweep.last.error}` : ""}`
              : "none yet"}
          </dd>
        </dl>
        <p className="muted">
          Files that no scan names (left by a server stopped mid-upload) are removed after an hour; files a scan names
          are never removed.
        </p>
      </section>
      <section className="panel" aria-labelledby="models-heading">
        <h2 id="models-heading">Registered models</h2>
        <ul>
          {models.map((m) => (
            <li key={m.id}>
              {m.id}: {m.dims} dimensions, sha256 {m.sha256.slice(0, 12)}…, since{" "}
              {m.createdAt.toISOString().slice(0, 10)}
            </li>
          ))}
        </ul>
      </section>
    </section>
  );
}
