import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { z } from "zod";
import { requestIp, requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { openPatient } from "@/lib/patients/service";
import { PatientForm } from "../../patient-form";

export const metadata: Metadata = { title: "Edit patient" };

export default async function EditPatientPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePageActor();
  const { id } = await params;
  if (!z.uuid().safeParse(id).success) notFound();
  const patient = await openPatient(db(), id, { actor, ip: await requestIp() });
  if (!patient) notFound();
  return (
    <section>
      <h1>Edit patient</h1>
      <PatientForm initial={patient} />
    </section>
  );
}
