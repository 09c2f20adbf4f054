// The patient's withdrawn films, collapsed under the timeline: what was taken off the record, why, by whom and when.
// Admins restore or purge them here.
import { thumbnailUrl } from "@/lib/neighbours/thumbnail-url";
import type { WithdrawnScan } from "@/lib/scans/withdraw";
import { WithdrawnActions } from "./withdrawn-actions";

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : "undated");
const when = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

export function WithdrawnFilms({ films, isAdmin }: { films: WithdrawnScan[]; isAdmin: boolean }) {
  if (films.length === 0) return null;
  return (
    <details className="panel withdrawn-films">
      <summary>
        <h2>Withdrawn films ({films.length})</h2>
      </summary>
      <p className="muted">
        Not on the timeline, in the trend, the patient list or any export.{" "}
        {isAdmin ? "Restore puts a film back; purge deletes it for good." : "An admin can restore or purge them."}
      </p>
      <ul className="withdrawn-list">
        {films.map((f) => (
          <li key={f.scanId}>
            {/* eslint-disable-next-line @next/next/no-img-element -- authenticated image route */}
            <img src={thumbnailUrl(f.scanId)} alt={`Withdrawn scan of ${day(f.acquiredAt)}`} width={72} height={72} />
            <div>
              <p>
                <strong>Scan of {day(f.acquiredAt)}</strong> · withdrawn {when(f.withdrawnAt)} by{" "}
                {f.withdrawnBy ? `${f.withdrawnBy.name} (${f.withdrawnBy.email})` : "an unknown user"}
              </p>
              <p className="withdraw-reason">Reason: {f.reason}</p>
              {isAdmin && <WithdrawnActions scanId={f.scanId} date={day(f.acquiredAt)} />}
            </div>
          </li>
        ))}
      </ul>
    </details>
  );
}
