import type { Metadata } from "next";
import { requirePageActor } from "@/lib/auth/current-actor";
import { PatientForm } from "../patient-form";

export const metadata: Metadata = { title: "New patient" };

export default async function NewPatientPage() {
  await requirePageActor();
  return (
    <section>
      <h1>New patient</h1>
      <PatientForm />
    </section>
  );
}
