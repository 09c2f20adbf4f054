"use client";

// One neighbour: a tile that opens a dialog with the reference film large, its label and provenance, the expert
// scores when the source has them, and the other films of that reference patient in date order.
import { useEffect, useRef, useState } from "react";
import { RetryingImage } from "@/components/retrying-image";
import type { ReferenceClass } from "@/lib/domain";
import type { ReferenceDetails } from "@/lib/reference/details";

const CLASS_LABEL: Record<ReferenceClass, string> = { healthy: "Healthy", infected: "Infected", severe: "Severe" };

export interface NeighbourTileData {
  scanId: string;
  class: ReferenceClass;
  similarity: number;
  percentile: number | null;
  rank: number;
}

function percentText(p: number | null): string {
  return p === null ? "—" : `${(p * 100).toFixed(p >= 0.995 && p < 1 ? 1 : 0)}%`;
}

function dayText(offset: number | null): string {
  return offset === null ? "undated" : `day ${Number.isInteger(offset) ? offset : offset.toFixed(1)}`;
}

export function NeighbourTile({ n, details }: { n: NeighbourTileData; details: ReferenceDetails | null }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [shown, setShown] = useState<string>(n.scanId);
  // The dialog's images load only while it is open: 36 closed dialogs must not fetch (and audit) 36 previews.
  const [isOpen, setOpen] = useState(false);
  useEffect(() => {
    if (isOpen && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [isOpen]);
  const open = () => {
    setShown(n.scanId);
    setOpen(true);
  };
  const title = `Reference film ${details?.sourceId ?? ""}`.trim();
  const shownFilm = details?.patientFilms.find((f) => f.scanId === shown);
  return (
    <li className="neighbour" data-class={n.class}>
      <button
        type="button"
        className="tile-button"
        onClick={open}
        aria-haspopup="dialog"
        aria-label={`Neighbour ${n.rank}: ${CLASS_LABEL[n.class]} reference film, similarity ${n.similarity.toFixed(3)}, closer than ${percentText(n.percentile)} of the library. Open details`}
      >
        <RetryingImage
          src={`/api/scans/${n.scanId}/thumbnail`}
          alt={`${CLASS_LABEL[n.class]} reference scan`}
          width={96}
          height={96}
          loading="lazy"
        />
        <span className={`class-${n.class}`}>{CLASS_LABEL[n.class]}</span>{" "}
        <span title="cosine similarity">{n.similarity.toFixed(3)}</span>
        <span className="percentile" title="reciprocal percentile: share of the library farther from this film">
          {percentText(n.percentile)}
        </span>
      </button>
      <dialog
        ref={dialog}
        className="reference-dialog"
        aria-labelledby={`ref-${n.scanId}-title`}
        onClose={() => setOpen(false)}
      >
        {isOpen && (
          <>
            <div className="section-head">
              <h3 id={`ref-${n.scanId}-title`}>{title}</h3>
              <form method="dialog">
                <button type="submit" autoFocus>
                  Close
                </button>
              </form>
            </div>
            <div className="reference-body">
              <figure className="reference-large">
                {/* eslint-disable-next-line @next/next/no-img-element -- authenticated image route */}
                <img
                  src={`/api/scans/${shown}/preview`}
                  alt={`Reference film ${shownFilm?.sourceId ?? details?.sourceId ?? ""}, ${shownFilm ? CLASS_LABEL[shownFilm.class] : CLASS_LABEL[n.class]}`}
                  width={512}
                  height={512}
                />
                {shown !== n.scanId && shownFilm && (
                  <figcaption>
                    Showing {shownFilm.sourceId} ({dayText(shownFilm.offsetDays)}) of the same reference patient.
                  </figcaption>
                )}
              </figure>
              <dl className="facts">
                <dt>Class</dt>
                <dd className={`class-${n.class}`}>{CLASS_LABEL[n.class]}</dd>
                <dt>Similarity</dt>
                <dd>
                  cosine {n.similarity.toFixed(4)}; closer than {percentText(n.percentile)} of the library (rank{" "}
                  {n.rank})
                </dd>
                {details ? (
                  <>
                    <dt>Source</dt>
                    <dd>{details.source}</dd>
                    <dt>Source id</dt>
                    <dd>{details.sourceId}</dd>
                    <dt>Finding</dt>
                    <dd>{details.finding ?? "not given"}</dd>
                    <dt>View</dt>
                    <dd>{details.view ?? "not given"}</dd>
                    <dt>Expert scores</dt>
                    <dd>
                      {details.geographicMean === null && details.opacityMean === null
                        ? "none in this source"
                        : `geographic extent ${details.geographicMean?.toFixed(1) ?? "—"}, opacity ${details.opacityMean?.toFixed(1) ?? "—"} (readers' mean)`}
                    </dd>
                    <dt>Licence</dt>
                    <dd>{details.license ?? "not given"}</dd>
                    <dt>Reference patient</dt>
                    <dd>{details.sourcePatient ?? "not given"}</dd>
                  </>
                ) : (
                  <>
                    <dt>Details</dt>
                    <dd>not available</dd>
                  </>
                )}
              </dl>
            </div>
            {details && details.patientFilms.length > 1 && (
              <section aria-label="Films of this reference patient">
                <h4>All {details.patientFilms.length} films of this reference patient, in date order</h4>
                <ol className="scan-strip reference-course">
                  {details.patientFilms.map((f) => (
                    <li key={f.scanId}>
                      <button
                        type="button"
                        className="tile-button"
                        aria-pressed={f.scanId === shown}
                        onClick={() => setShown(f.scanId)}
                      >
                        <RetryingImage
                          src={`/api/scans/${f.scanId}/thumbnail`}
                          alt={`${f.sourceId}, ${CLASS_LABEL[f.class]}, ${dayText(f.offsetDays)}`}
                          width={96}
                          height={96}
                        />
                        <span>
                          {dayText(f.offsetDays)} · <span className={`class-${f.class}`}>{CLASS_LABEL[f.class]}</span>
                          {f.scanId === n.scanId ? " · this neighbour" : ""}
                        </span>
                      </button>
                    </li>
                  ))}
                </ol>
              </section>
            )}
          </>
        )}
      </dialog>
    </li>
  );
}
