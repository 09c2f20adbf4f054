import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { z } from "zod";
import { requestIp, requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { BreakGlassRequiredError } from "@/lib/patients/access";
import { openPatient } from "@/lib/patients/service";
import { BreakGlassPanel } from "../break-glass-panel";
import { PatientForm } from "../../patient-form";

export const metadata: Metadata = { title: "Edit patient" };

export default async function EditPatientPage({ params }: { params: Promise<{ id: string }> }) {
  const actor = await requirePageActor();
  const { id } = await params;
  if (!z.uuid().safeParse(id).success) notFound();
  let patient: Awaited<ReturnType<typeof openPatient>>;
  try {
    patient = await openPatient(db(), id, { actor, ip: await requestIp() });
  } catch (error) {
    if (error instanceof BreakGlassRequiredError) return <BreakGlassPanel refusal={error} />;
    throw error;
  }
  if (!patient) notFound();
  return (
    <section>
      <h1>Edit patient</h1>
      <PatientForm initial={patient} />
    </section>
  );
}
