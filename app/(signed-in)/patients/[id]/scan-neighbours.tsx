import type { NeighboursResult } from "@/lib/neighbours";
import { thumbnailUrl } from "@/lib/neighbours/thumbnail-url";

const CLASS_LABEL = { healthy: "Healthy", infected: "Infected", severe: "Severe" } as const;

/** The k most similar reference scans of the selected scan, with their labels and the class mix. */
export function ScanNeighbours({ result }: { result: NeighboursResult }) {
  const { mix, neighbours } = result;
  return (
    <section aria-labelledby="neighbours-heading">
      <h3 id="neighbours-heading">{neighbours.length} most similar reference scans</h3>
      <p className="mix" aria-label="Class mix of the neighbours">
        <span className="class-healthy">{mix.healthy} healthy</span>
        <span className="class-infected">{mix.infected} infected</span>
        <span className="class-severe">{mix.severe} severe</span>
      </p>
      <ol className="neighbours">
        {neighbours.map((n) => (
          <li key={n.scanId} className="neighbour" data-class={n.class}>
            {/* eslint-disable-next-line @next/next/no-img-element -- authenticated API image, not optimisable */}
            <img
              src={thumbnailUrl(n.scanId)}
              alt={`${CLASS_LABEL[n.class]} reference scan, similarity ${n.similarity.toFixed(2)}`}
              width={96}
              height={96}
              loading="lazy"
            />
            <span className={`class-${n.class}`}>{CLASS_LABEL[n.class]}</span> <span>{n.similarity.toFixed(3)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
