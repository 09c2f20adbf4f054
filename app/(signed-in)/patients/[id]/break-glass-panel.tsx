import { accessPolicy, type BreakGlassRequiredError } from "@/lib/patients/access";
import { BreakGlassForm } from "./break-glass-form";

export function BreakGlassPanel({ refusal }: { refusal: BreakGlassRequiredError }) {
  return (
    <section className="panel stack" aria-labelledby="break-glass-heading">
      <h1 id="break-glass-heading">Patient outside your care teams</h1>
      <p>{refusal.message}</p>
      <BreakGlassForm patientId={refusal.patientId} minutes={accessPolicy().breakGlassMinutes} />
    </section>
  );
}
