"use client";

// The selected scan next to the previous one, zoomed and panned together so the same lung region stays side by side.
import { useState } from "react";
import { previewUrl } from "@/lib/neighbours/thumbnail-url";

interface Side {
  scanId: string;
  date: string;
}

export function ScanComparison({ current, previous }: { current: Side; previous: Side | null }) {
  const [zoom, setZoom] = useState(1);
  const [origin, setOrigin] = useState({ x: 50, y: 50 });
  const style = { transform: `scale(${zoom})`, transformOrigin: `${origin.x}% ${origin.y}%` };
  const follow = (e: React.MouseEvent<HTMLDivElement>) => {
    if (zoom === 1) return;
    const box = e.currentTarget.getBoundingClientRect();
    setOrigin({ x: ((e.clientX - box.left) / box.width) * 100, y: ((e.clientY - box.top) / box.height) * 100 });
  };
  const panes = previous ? [current, previous] : [current];
  return (
    <section aria-labelledby="compare-heading" className="comparison">
      <div className="section-head">
        <h3 id="compare-heading">{previous ? "Current and previous scan" : "Current scan"}</h3>
        <label className="zoom">
          <span>Zoom</span>
          <input
            type="range"
            min={1}
            max={4}
            step={0.25}
            value={zoom}
            onChange={(e) => setZoom(Number(e.target.value))}
            aria-valuetext={`${zoom} times`}
          />
        </label>
      </div>
      <div className="compare-grid">
        {panes.map((side, i) => (
          <figure key={side.scanId} className="compare-pane" onMouseMove={follow}>
            <div className="compare-frame">
              {/* eslint-disable-next-line @next/next/no-img-element -- authenticated image route */}
              <img
                src={previewUrl(side.scanId)}
                alt={`${i === 0 ? "Current" : "Previous"} scan of ${side.date.slice(0, 10)}`}
                width={512}
                height={512}
                style={style}
              />
            </div>
            <figcaption>
              {i === 0 ? "Current" : "Previous"} · {side.date.slice(0, 10)}
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}
