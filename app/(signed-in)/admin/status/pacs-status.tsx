import Link from "next/link";
import { db } from "@/lib/db/client";
import { config } from "@/lib/config";
import { pacsStatus } from "@/lib/dicomweb/status";
import { resultsStatus } from "@/lib/results/status";

const when = (d: Date | null | undefined) => (d ? d.toISOString().replace("T", " ").slice(0, 19) + " UTC" : "never");

/** The PACS link on the status page: last poll, counts, errors, and what waits for an admin. */
export async function PacsStatusPanel() {
  const [s, results] = await Promise.all([pacsStatus(db()), resultsStatus(db())]);
  const dimse = config().dimse;
  return (
    <section className="panel" aria-labelledby="pacs-heading">
      <h2 id="pacs-heading">PACS (DICOMweb)</h2>
      {!s.url ? (
        <p className="muted">
          {s.settingsError
            ? `The saved PACS settings cannot be used: ${s.settingsError}`
            : "No PACS is polled. Set RADTRACK_DICOMWEB_URL or use the "}
          {!s.settingsError && <Link href="/admin/integration">integration page</Link>}.
        </p>
      ) : (
        <dl className="facts">
          <dt>Polled</dt>
          <dd>
            {s.url} ({s.source === "env" ? "set by the environment" : "set on the integration page"})
          </dd>
          <dt>Last poll</dt>
          <dd>{when(s.state?.lastPollAt)}</dd>
          <dt>Last successful poll</dt>
          <dd>{when(s.state?.lastSuccessAt)}</dd>
          <dt>Next poll</dt>
          <dd>
            {when(s.state?.nextPollAt)}
            {s.state && s.state.failures > 0 ? ` (backing off after ${s.state.failures} failed polls)` : ""}
          </dd>
          <dt>Last error</dt>
          <dd role={s.state?.lastError ? "alert" : undefined}>{s.state?.lastError ?? "none"}</dd>
          <dt>Instances seen / stored / refused / to confirm / failed</dt>
          <dd>
            {s.state
              ? `${s.state.seen} / ${s.state.ingested} / ${s.state.refused} / ${s.state.pending} / ${s.state.failed}`
              : "none yet"}
          </dd>
        </dl>
      )}
      <dl className="facts">
        <dt>Results to the PACS (DICOM SR)</dt>
        <dd>
          {results.on ? "on" : "off"}; {results.sent} sent
          {results.lastSentAt ? ` (last ${when(results.lastSentAt)})` : ""}, {results.failedAttempts} failed attempts
        </dd>
        {results.lastFailure && (
          <>
            <dt>Last failed send</dt>
            <dd>
              {when(results.lastFailure.at)}: {results.lastFailure.error}
            </dd>
          </>
        )}
        <dt>C-STORE receiver</dt>
        <dd>{dimse ? `port ${dimse.port}, AE title ${dimse.aeTitle}` : "off (RADTRACK_DIMSE_PORT not set)"}</dd>
      </dl>
      <p>
        Instances waiting for an admin to confirm their patient:{" "}
        <Link href="/admin/integration">{s.waitingForAdmin}</Link>
      </p>
      {s.recentProblems.length > 0 && (
        <table>
          <caption>Latest refused or failed instances</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">How</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {s.recentProblems.map((p) => (
              <tr key={p.sopInstanceUid}>
                <td>{when(p.at)}</td>
                <td>{p.via === "poll" ? "polled" : p.via === "dimse" ? "sent (C-STORE)" : "pushed (STOW-RS)"}</td>
                <td>{p.outcome}</td>
                <td>{p.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
