import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { requestIp, requirePageActor } from "@/lib/auth/current-actor";
import { uploadLimits } from "@/lib/config";
import { db } from "@/lib/db/client";
import { NEIGHBOUR_K } from "@/lib/domain";
import { neighboursOfScan, type NeighboursResult } from "@/lib/neighbours";
import { thumbnailUrl } from "@/lib/neighbours/thumbnail-url";
import { BreakGlassRequiredError } from "@/lib/patients/access";
import { openPatient } from "@/lib/patients/service";
import { referenceDetails, type ReferenceDetails } from "@/lib/reference/details";
import { regionOn } from "@/lib/drift/scale";
import { withdrawnScans } from "@/lib/scans/withdraw";
import { filmWhen } from "@/lib/timeline/film-time";
import { patientTimeline, type PatientTimeline } from "@/lib/timeline/timeline";
import { BreakGlassPanel } from "./break-glass-panel";
import { DriftSummary } from "./drift-summary";
import { PrintButton } from "./print-button";
import { ScanComparison } from "./scan-comparison";
import { ScanKeyboard } from "./scan-keyboard";
import { ScanNeighbours } from "./scan-neighbours";
import { chartPoints, chartScale } from "./chart-scale";
import { TimelineChart } from "./timeline-chart";
import { TimelineTable } from "./timeline-table";
import type { TimelinePointView } from "./timeline-types";
import { UploadScan } from "./upload-scan";
import { WithdrawScan } from "./withdraw-scan";
import { WithdrawnFilms } from "./withdrawn-films";

export const metadata: Metadata = { title: "Patient" };

function toView(timeline: PatientTimeline): TimelinePointView[] {
  const alerts = new Map(timeline.drift.alerts.map((a) => [a.scanId, a.kind]));
  const onExtent = timeline.scale.id === "extent";
  return timeline.scans.map((s) => {
    const a = s.assessment;
    const extent = s.extent;
    const value = onExtent ? (extent?.value ?? null) : (a?.index ?? null);
    return {
      scanId: s.scanId,
      date: s.acquiredAt.toISOString(),
      timed: s.timed,
      value,
      lo: onExtent ? (extent?.lo ?? null) : null,
      hi: onExtent ? (extent?.hi ?? null) : null,
      index: a?.index ?? null,
      region: value === null ? null : regionOn(timeline.scale, value),
      mix: a?.mix ?? null,
      alert: alerts.get(s.scanId) ?? null,
    };
  });
}

export default async function PatientPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<{ scan?: string }>;
}) {
  const actor = await requirePageActor();
  const { id } = await params;
  const { scan: requestedScan } = await searchParams;
  if (!z.uuid().safeParse(id).success) notFound();
  const ctx = { actor, ip: await requestIp() };
  let patient: Awaited<ReturnType<typeof openPatient>>;
  try {
    patient = await openPatient(db(), id, ctx);
  } catch (error) {
    if (error instanceof BreakGlassRequiredError) return <BreakGlassPanel refusal={error} />;
    throw error;
  }
  if (!patient) notFound();

  let timeline: PatientTimeline | null = null;
  let timelineError: string | null = null;
  try {
    timeline = await patientTimeline(db(), patient.id);
  } catch (error) {
    timelineError = `The timeline could not be read: ${(error as Error).message}`;
  }
  const points = timeline ? toView(timeline) : [];
  const withdrawn = await withdrawnScans(db(), patient.id);
  const chosen = points.findIndex((p) => p.scanId === requestedScan);
  const at = chosen >= 0 ? chosen : points.length - 1;
  const selected = points[at] ?? null;

  let neighbourDetails = new Map<string, ReferenceDetails>();
  let neighbours: NeighboursResult | null = null;
  let neighboursError: string | null = null;
  if (selected) {
    try {
      neighbours = await neighboursOfScan(db(), selected.scanId, { k: NEIGHBOUR_K }, ctx);
      neighbourDetails = await referenceDetails(
        db(),
        neighbours.neighbours.map((n) => n.scanId),
      );
    } catch (error) {
      neighboursError = (error as Error).message;
    }
  }

  return (
    <section className="patient">
      <ScanKeyboard patientId={patient.id} order={points.map((p) => p.scanId)} selectedId={selected?.scanId ?? null} />
      <div className="section-head">
        <div>
          <h1>{patient.name}</h1>
          <p className="muted">
            MRN {patient.mrn} · {patient.sex}
            {patient.birthYear ? ` · born ${patient.birthYear}` : ""}
            {patient.isDemo ? " · demo patient built from the public corpus" : ""}
          </p>
        </div>
        <div className="row-actions no-print">
          <a className="button" href={`/api/patients/${patient.id}/timeline.csv`} download>
            Export CSV
          </a>
          <PrintButton />
          <Link href={`/patients/${patient.id}/edit`} className="button">
            Edit
          </Link>
        </div>
      </div>
      {patient.notes && <p className="notes">{patient.notes}</p>}

      <section aria-labelledby="timeline-heading" className="panel">
        <h2 id="timeline-heading">Timeline</h2>
        {timelineError && (
          <p className="form-error" role="alert">
            {timelineError}
          </p>
        )}
        {timeline && <DriftSummary drift={timeline.drift} scale={timeline.scale} modelId={timeline.modelId} />}
        {timeline && timeline.pending > 0 && (
          <p className="muted updating" role="status">
            Updating: {timeline.pending === 1 ? "1 scan is" : `${timeline.pending} scans are`} being compared with the
            current reference library; the values appear here once that is done.
          </p>
        )}
        {points.length > 0 && timeline && (
          <TimelineChart
            points={chartPoints(points)}
            scale={chartScale(timeline.scale)}
            selectedId={selected?.scanId ?? null}
            selectHref={`/patients/${patient.id}?scan=`}
          />
        )}
        {points.length === 0 ? (
          <p className="empty">No scans yet for this patient.</p>
        ) : (
          <ol
            className="scan-strip"
            aria-label="Scans in order of acquisition (left and right arrow keys step through them)"
          >
            {points.map((p) => (
              <li key={p.scanId}>
                <Link
                  href={`/patients/${patient.id}?scan=${p.scanId}`}
                  aria-current={p.scanId === selected?.scanId ? "true" : undefined}
                  scroll={false}
                >
                  {/* eslint-disable-next-line @next/next/no-img-element -- authenticated image route */}
                  <img src={thumbnailUrl(p.scanId)} alt={`Scan of ${filmWhen(p)}`} width={96} height={96} />
                  <span>
                    {filmWhen(p)}
                    {p.alert ? " ⚠" : ""}
                  </span>
                </Link>
              </li>
            ))}
          </ol>
        )}
        <div className="no-print">
          <UploadScan
            patientId={patient.id}
            canOverrideGate={actor.role === "admin"}
            maxBytes={uploadLimits().maxBytes}
          />
        </div>
      </section>

      {selected && (
        <section aria-labelledby="selected-heading" className="panel">
          <div className="section-head">
            <h2 id="selected-heading">Scan of {filmWhen(selected)}</h2>
            <div className="no-print">
              <WithdrawScan
                key={selected.scanId}
                patientId={patient.id}
                scanId={selected.scanId}
                date={filmWhen(selected)}
              />
            </div>
          </div>
          <ScanComparison
            key={selected.scanId}
            current={{ scanId: selected.scanId, date: selected.date, timed: selected.timed }}
            films={points.map((p) => ({ scanId: p.scanId, date: p.date, timed: p.timed }))}
            explains={timeline?.scale.id === "extent" ? "extent" : "index"}
          />
          {neighbours ? (
            <ScanNeighbours result={neighbours} details={neighbourDetails} />
          ) : (
            <p className="empty">{neighboursError ?? "No neighbours."}</p>
          )}
        </section>
      )}

      {points.length > 0 && (
        <section aria-labelledby="numbers-heading" className="panel">
          <h2 id="numbers-heading">Numbers behind the chart</h2>
          <TimelineTable patientId={patient.id} points={points} scale={timeline!.scale} />
        </section>
      )}

      <WithdrawnFilms films={withdrawn} isAdmin={actor.role === "admin"} />
    </section>
  );
}
