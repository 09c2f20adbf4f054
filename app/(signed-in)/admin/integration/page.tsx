import type { Metadata } from "next";
import Link from "next/link";
import { requirePageActor } from "@/lib/auth/current-actor";
import { db } from "@/lib/db/client";
import { listPending } from "@/lib/dicomweb/pending";
import { settingsView } from "@/lib/dicomweb/settings";
import { PendingRow } from "./pending-row";
import { SettingsForm } from "./settings-form";

export const metadata: Metadata = { title: "PACS integration" };

export default async function IntegrationPage() {
  await requirePageActor(["admin"]);
  const [settings, pending] = await Promise.all([settingsView(db()), listPending(db())]);
  return (
    <section>
      <h1>PACS integration</h1>
      <section className="panel" aria-labelledby="confirm-heading">
        <h2 id="confirm-heading">To confirm ({pending.length})</h2>
        <p className="muted">
          Films from the PACS whose patient Radtrack will not decide alone: an unknown PatientID, a PatientID from
          another issuer, or a name that differs from the patient&apos;s. Matching is on PatientID only, never on the
          name. Your choice links the PatientID to the patient for later films.
        </p>
        {pending.length === 0 ? (
          <p>Nothing is waiting.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">PatientID (issuer)</th>
                <th scope="col">Name in the file</th>
                <th scope="col">Why it waits</th>
                <th scope="col">Decide</th>
              </tr>
            </thead>
            <tbody>
              {pending.map((p) => (
                <PendingRow key={p.id} item={p} />
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section className="panel" aria-labelledby="settings-heading">
        <h2 id="settings-heading">DICOMweb polling</h2>
        {settings.source === "env" ? (
          <p className="muted">
            These settings come from the environment (RADTRACK_DICOMWEB_URL and its companions) and are shown read-only;
            change them in the deployment.
          </p>
        ) : (
          <p className="muted">
            Radtrack asks the PACS for new CR/DX chest films (QIDO-RS), retrieves them (WADO-RS) and files them under
            the patient whose MRN is their PatientID. The poller&apos;s state is on the{" "}
            <Link href="/admin/status">status page</Link>.
          </p>
        )}
        <SettingsForm settings={settings} />
      </section>
    </section>
  );
}
