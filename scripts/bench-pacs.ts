// PACS intake throughput: N chest films (DCMTK img2dcm from the corpus) sent to a throw-away Orthanc with storescu,
// then timed from the first poll until every film is stored with its neighbours and drift (pollOnce: QIDO-RS,
// WADO-RS, receive, ingest, timeline refresh), against the bulk upload path on the same films in the same run (a zip
// job through the real queue and worker, then the same timeline refresh). Both paths use the same reference library.
//
//   npm run bench:pacs -- [--n 48]                  # embedded PGlite in memory
//   DATABASE_URL=postgresql://... npm run bench:pacs  # a throw-away database on that server
//
// Prints the two rates and their ratio (target ≥ 0.8) and writes bench/results/pacs(-postgres).json.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ActionContext } from "@/lib/actions/define-action";
import { checkDraft, createDraft, jobProgress, receiveChunk, submitJob } from "@/lib/bulk/service";
import { startBulkWorker, stopBulkWorker } from "@/lib/bulk/worker";
import { buildZip } from "@/lib/bulk/zip-writer";
import { pollOnce } from "@/lib/dicomweb/poller";
import { embeddingStatus } from "@/lib/embedding";
import { FixtureDir } from "@/tests/support/image/dcmtk";
import { stopJobQueue } from "@/lib/jobs/boss";
import { importReferenceLibrary } from "@/lib/reference";
import { makeCorpusSubset, realCorpusDir } from "@/tests/support/reference/corpus-subset";
import { activeModel } from "@/lib/scans/active-model";
import { ScanStore } from "@/lib/storage/scan-store";
import { refreshPatientDrift } from "@/lib/timeline/refresh";
import { e2eCorpus } from "@/tests/support/e2e-corpus";
import { startOrthanc } from "@/tests/support/orthanc";
import { createTestDatabase } from "@/tests/support/test-database";
import { resultHeader, writeResult } from "./bench-results";

const { values } = parseArgs({ options: { n: { type: "string", default: "48" } } });
const n = Number(values.n);
if (!Number.isInteger(n) || n < 8) throw new Error("--n must be an integer ≥ 8");
const PATIENTS = 4;
const seconds = (t0: number) => (performance.now() - t0) / 1000;

const { table, subset } = await e2eCorpus();
const taken = new Set(subset);
const films = [...table.rows.keys()]
  .filter((id) => !taken.has(id))
  .sort()
  .slice(0, n);
if (films.length < n) throw new Error(`only ${films.length} corpus films outside the reference subset`);

const t = await createTestDatabase();
const dataDir = await mkdtemp(path.join(os.tmpdir(), "radtrack-bench-pacs-"));
const fx = await FixtureDir.create();
const orthanc = await startOrthanc();
try {
  const corpus = await makeCorpusSubset(table, { ids: subset });
  await importReferenceLibrary(t.db, corpus.dir);
  await corpus.remove();
  const model = await activeModel(t.db);
  const user = await t.db.user.create({
    data: { email: "bench@example.test", name: "Bench", role: "admin", passwordHash: "-" },
  });
  const ctx: ActionContext = { actor: { id: user.id, email: user.email, name: user.name, role: "admin" }, ip: null };
  await t.db.patient.createMany({
    data: Array.from({ length: PATIENTS }, (_, i) => [
      { mrn: `BULK-${i}`, name: `Bulk ${i}`, sex: "unknown" },
      { mrn: `PACS-${i}`, name: `Pacs ${i}`, sex: "unknown" },
    ]).flat(),
  });

  // The same films for both paths, as DICOM: only the PatientID differs.
  const dicom = async (prefix: string) =>
    Promise.all(
      films.map(async (id, i) => {
        const name = `${prefix}-${id}.dcm`;
        await fx.img2dcm(path.join(realCorpusDir(), `${id}.jpg`), name, {
          PatientID: `${prefix}-${i % PATIENTS}`,
          Modality: "DX",
          BodyPartExamined: "CHEST",
          ViewPosition: "PA",
          StudyDate: `202501${String((i % 28) + 1).padStart(2, "0")}`,
        });
        return fx.file(name);
      }),
    );
  const bulkFiles = await dicom("BULK");
  const pacsFiles = await dicom("PACS");

  // 1. Bulk: a zip with a manifest through the real queue and worker, then the drift of its patients.
  const bytes = await Promise.all(bulkFiles.map((f) => readFile(f)));
  const names = bulkFiles.map((f) => path.basename(f));
  const manifest = Buffer.from(
    ["mrn,acquired_at,file", ...names.map((f, i) => `BULK-${i % PATIENTS},2025-01-01,${f}`)].join("\n"),
  );
  const zip = buildZip(names.map((f, i) => ({ name: f, data: bytes[i]!, method: 0 as const })));
  const { jobId } = await createDraft(
    t.db,
    { files: [{ name: "bench.zip", size: zip.length }], manifest: { name: "m.csv", size: manifest.length } },
    ctx,
  );
  await receiveChunk(t.db, jobId, 0, 0, zip, { dataDir });
  await receiveChunk(t.db, jobId, 1, 0, manifest, { dataDir });
  await checkDraft(t.db, jobId, ctx, { dataDir });
  await startBulkWorker({ db: t.db, dataDir });
  let t0 = performance.now();
  await submitJob(t.db, { jobId, createPatients: false }, ctx);
  for (;;) {
    const p = await jobProgress(t.db, jobId);
    if (!["queued", "running"].includes(p.status)) {
      if (p.stored !== n) throw new Error(`bulk job ended ${p.status} with ${p.stored} of ${n} stored`);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const bulkPatients = await t.db.patient.findMany({ where: { mrn: { startsWith: "BULK-" } } });
  for (const p of bulkPatients) await refreshPatientDrift(t.db, p.id);
  const bulkSeconds = seconds(t0);
  await stopBulkWorker();

  // 2. PACS: storescu into Orthanc (not timed: the modality's side), then polls until every film is in.
  await orthanc.storescu(pacsFiles);
  const cfg = {
    url: orthanc.dicomweb,
    auth: { kind: "basic" as const, username: orthanc.username, password: orthanc.password },
    pollSeconds: 5,
    modalities: ["CR", "DX"],
    aeTitles: [],
    institutions: [],
    sendResults: false,
  };
  const settings = { filters: cfg, createPatients: false, issuer: undefined };
  const store = ScanStore.forDataDir(dataDir);
  t0 = performance.now();
  let ingested = 0;
  for (let round = 0; ingested < n && round < 20; round++) {
    const report = await pollOnce(t.db, cfg, settings, { store });
    if (report.error) throw new Error(`poll failed: ${report.error}`);
    ingested += report.ingested;
  }
  const pacsSeconds = seconds(t0);
  if (ingested !== n) throw new Error(`the polls stored ${ingested} of ${n}`);
  const assessed = await t.db.scanAssessment.count({
    where: { scan: { patient: { mrn: { startsWith: "PACS-" } } }, modelId: model.id },
  });
  if (assessed !== n) throw new Error(`only ${assessed} of ${n} PACS films have their neighbours`);

  const status = await embeddingStatus();
  const bulkRate = n / bulkSeconds;
  const pacsRate = n / pacsSeconds;
  const ratio = pacsRate / bulkRate;
  console.log(`films: ${n} (${PATIENTS} patients per path), model ${model.id}, database ${t.kind}`);
  console.log(`bulk job + drift : ${bulkRate.toFixed(2)} films/s (${bulkSeconds.toFixed(1)} s)`);
  console.log(`PACS poll        : ${pacsRate.toFixed(2)} films/s (${pacsSeconds.toFixed(1)} s)`);
  console.log(`ratio            : ${ratio.toFixed(2)} (target ≥ 0.80)`);
  const file = await writeResult(t.kind === "postgres" ? "pacs-postgres" : "pacs", {
    ...resultHeader("pacs", {
      database: t.kind,
      model: model.id,
      provider: status.state === "ready" ? status.provider : "unavailable",
    }),
    films: n,
    bulkSeconds: Number(bulkSeconds.toFixed(2)),
    pacsSeconds: Number(pacsSeconds.toFixed(2)),
    bulkFilmsPerSecond: Number(bulkRate.toFixed(2)),
    pacsFilmsPerSecond: Number(pacsRate.toFixed(2)),
    ratio: Number(ratio.toFixed(2)),
    target: "ratio ≥ 0.80",
  });
  console.log(`wrote ${file}`);
} finally {
  await orthanc.remove();
  await stopJobQueue();
  await t.close();
  await fx.remove();
  await rm(dataDir, { recursive: true, force: true });
}
