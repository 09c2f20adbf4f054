import Link from "next/link";
import { filmWhen } from "@/lib/timeline/film-time";
import type { ScaleView, TimelinePointView } from "./timeline-types";

function interval(p: TimelinePointView): string {
  return p.lo === null || p.hi === null ? "—" : `${p.lo.toFixed(1)}–${p.hi.toFixed(1)}`;
}

/** The numbers behind the chart, one row per scan in order of acquisition (day, then time): readable without the chart, and by tests. */
export function TimelineTable({
  patientId,
  points,
  scale,
}: {
  patientId: string;
  points: TimelinePointView[];
  scale: ScaleView;
}) {
  const digits = scale.id === "extent" ? 1 : 3;
  return (
    <table className="table timeline-table">
      <caption className="sr-only">{scale.label} of each scan, in order of acquisition</caption>
      <thead>
        <tr>
          <th scope="col">Acquired (UTC)</th>
          <th scope="col">{scale.id === "extent" ? "Extent (0-8)" : "Severity index"}</th>
          <th scope="col">Interval</th>
          <th scope="col">Region</th>
          <th scope="col">Healthy</th>
          <th scope="col">Infected</th>
          <th scope="col">Severe</th>
          <th scope="col">Neighbour index</th>
          <th scope="col">Alert</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr key={p.scanId} data-scan-id={p.scanId}>
            <th scope="row">
              <Link href={`/patients/${patientId}?scan=${p.scanId}`} scroll={false}>
                {filmWhen(p)}
              </Link>
            </th>
            <td>{p.value === null ? "—" : p.value.toFixed(digits)}</td>
            <td>{interval(p)}</td>
            <td>{p.region ?? "not assessed"}</td>
            <td>{p.mix?.healthy ?? "—"}</td>
            <td>{p.mix?.infected ?? "—"}</td>
            <td>{p.mix?.severe ?? "—"}</td>
            <td>{p.index === null ? "—" : p.index.toFixed(3)}</td>
            <td>
              {p.alert === "entered_severe" ? "entered severe region" : p.alert === "sharp_rise" ? "sharp rise" : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
