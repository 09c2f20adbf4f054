import type { NeighboursResult } from "@/lib/neighbours";
import type { ReferenceDetails } from "@/lib/reference/details";
import { NeighbourTile } from "./neighbour-tile";

/** The k most similar reference scans of the selected scan, with their labels and the class mix. */
export function ScanNeighbours({
  result,
  details,
}: {
  result: NeighboursResult;
  details: Map<string, ReferenceDetails>;
}) {
  const { mix, neighbours } = result;
  return (
    <section aria-labelledby="neighbours-heading">
      <h3 id="neighbours-heading">{neighbours.length} most similar reference scans</h3>
      <p className="mix" aria-label="Class mix of the neighbours">
        <span className="class-healthy">{mix.healthy} healthy</span>
        <span className="class-infected">{mix.infected} infected</span>
        <span className="class-severe">{mix.severe} severe</span>
      </p>
      <p className="muted">
        Under each film: its class, the cosine similarity, and the share of the library farther from that film than this
        scan is (100% = this scan is closer to it than any other reference film). Open a film for its source, finding,
        expert scores and the reference patient&apos;s other films.
      </p>
      <ol className="neighbours">
        {neighbours.map((n, i) => (
          <NeighbourTile
            key={n.scanId}
            n={{ scanId: n.scanId, class: n.class, similarity: n.similarity, percentile: n.percentile, rank: i + 1 }}
            details={details.get(n.scanId) ?? null}
          />
        ))}
      </ol>
    </section>
  );
}
