import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { requestIp, requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { openPatient } from "@/lib/patients/service";

export const metadata: Metadata = { title: "Patient" };

export default async function PatientPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePageActor();
  const { id } = await params;
  if (!z.uuid().safeParse(id).success) notFound();
  const patient = await openPatient(db(), id, { actor, ip: await requestIp() });
  if (!patient) notFound();
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
      <section aria-labelledby="timeline-heading" className="panel">
        <h2 id="timeline-heading">Timeline</h2>
        <p className="empty">No scans yet for this patient.</p>
      </section>
    </section>
  );
}
