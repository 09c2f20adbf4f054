import Link from "next/link";
import type { TimelinePointView } from "./timeline-types";

/** The numbers behind the chart, one row per scan in date order: readable without the chart, and by tests. */
export function TimelineTable({ patientId, points }: { patientId: string; points: TimelinePointView[] }) {
  return (
    <table className="table timeline-table">
      <caption className="sr-only">Severity index of each scan, in date order</caption>
      <thead>
        <tr>
          <th scope="col">Acquisition date</th>
          <th scope="col">Severity index</th>
          <th scope="col">Region</th>
          <th scope="col">Healthy</th>
          <th scope="col">Infected</th>
          <th scope="col">Severe</th>
          <th scope="col">Alert</th>
        </tr>
      </thead>
      <tbody>
        {points.map((p) => (
          <tr key={p.scanId} data-scan-id={p.scanId}>
            <th scope="row">
              <Link href={`/patients/${patientId}?scan=${p.scanId}`} scroll={false}>
                {p.date.slice(0, 10)}
              </Link>
            </th>
            <td>{p.index === null ? "—" : p.index.toFixed(3)}</td>
            <td>{p.region ?? "not assessed"}</td>
            <td>{p.mix?.healthy ?? "—"}</td>
            <td>{p.mix?.infected ?? "—"}</td>
            <td>{p.mix?.severe ?? "—"}</td>
            <td>
              {p.alert === "entered_severe" ? "entered severe region" : p.alert === "sharp_rise" ? "sharp rise" : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
