import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { requestIp, requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { neighboursOfScan, type NeighboursResult } from "@/lib/neighbours";
import { openPatient } from "@/lib/patients/service";
import { ScanNeighbours } from "./scan-neighbours";
import { UploadScan } from "./upload-scan";

export const metadata: Metadata = { title: "Patient" };

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
  const patient = await openPatient(db(), id, ctx);
  if (!patient) notFound();
  const scans = await db().scan.findMany({
    where: { patientId: patient.id },
    orderBy: [{ acquiredAt: "asc" }, { createdAt: "asc" }],
    select: { id: true, acquiredAt: true, view: true, origin: true, width: true, height: true },
  });
  const selected = scans.find((s) => s.id === requestedScan) ?? scans.at(-1);
  let neighbours: NeighboursResult | null = null;
  let neighboursError: string | null = null;
  if (selected) {
    try {
      neighbours = await neighboursOfScan(db(), selected.id, { k: 36 }, ctx);
    } catch (error) {
      neighboursError = (error as Error).message;
    }
  }
  return (
    <section>
      <div className="section-head">
        <div>
          <h1>{patient.name}</h1>
          <p className="muted">
            MRN {patient.mrn} · {patient.sex}
            {patient.birthYear ? ` · born ${patient.birthYear}` : ""}
          </p>
        </div>
        <Link href={`/patients/${patient.id}/edit`} className="button">
          Edit
        </Link>
      </div>
      {patient.notes && <p className="notes">{patient.notes}</p>}
      <section aria-labelledby="scans-heading" className="panel">
        <h2 id="scans-heading">Scans</h2>
        <UploadScan patientId={patient.id} />
        {scans.length === 0 ? (
          <p className="empty">No scans yet for this patient.</p>
        ) : (
          <ol className="scan-strip" aria-label="Scans in date order">
            {scans.map((s) => (
              <li key={s.id}>
                <Link
                  href={`/patients/${patient.id}?scan=${s.id}`}
                  aria-current={s.id === selected?.id ? "true" : undefined}
                  scroll={false}
                >
                  {/* eslint-disable-next-line @next/next/no-img-element -- authenticated image route */}
                  <img
                    src={`/api/scans/${s.id}/thumbnail`}
                    alt={`Scan of ${day(s.acquiredAt)}`}
                    width={96}
                    height={96}
                  />
                  <span>{day(s.acquiredAt)}</span>
                </Link>
              </li>
            ))}
          </ol>
        )}
      </section>
      {selected && (
        <section aria-labelledby="selected-heading" className="panel">
          <h2 id="selected-heading">
            Scan of {day(selected.acquiredAt)}
            {selected.view ? ` · ${selected.view}` : ""}
          </h2>
          <div className="scan-detail">
            <div className="preview">
              {/* eslint-disable-next-line @next/next/no-img-element -- authenticated image route */}
              <img
                src={`/api/scans/${selected.id}/preview`}
                alt={`Preview of the scan of ${day(selected.acquiredAt)}`}
              />
              <p className="muted">
                {selected.width} × {selected.height} px · {selected.origin}
              </p>
            </div>
            {neighbours ? (
              <ScanNeighbours result={neighbours} />
            ) : (
              <p className="empty">{neighboursError ?? "No neighbours."}</p>
            )}
          </div>
        </section>
      )}
    </section>
  );
}

function day(date: Date | null): string {
  return date ? date.toISOString().slice(0, 10) : "unknown date";
}
