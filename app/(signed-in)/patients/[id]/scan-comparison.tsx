"use client";

// The second look: the selected film on the left and a comparison film on the right (the previous one unless the
// reader picks the first film or any other), in the large rendition, panned and zoomed together (@panzoom/panzoom:
// mouse drag, wheel, pinch; keyboard here) and windowed together (an SVG transfer function: exact linear window and
// level on the displayed grey values, and invert). On request, the current film carries its occlusion heatmap.
import Panzoom, { type PanzoomObject } from "@panzoom/panzoom";
import { useCallback, useEffect, useId, useRef, useState } from "react";
import { filmInterval, filmWhen, type FilmMoment } from "@/lib/timeline/film-time";

interface Film extends FilmMoment {
  scanId: string;
}

interface Windowing {
  /** Width and centre of the window, in grey levels of the 8-bit rendition (0-255). */
  width: number;
  level: number;
  invert: boolean;
}

const FULL_RANGE: Windowing = { width: 256, level: 128, invert: false };
const PRESETS: { name: string; width: number; level: number }[] = [
  { name: "Full range", width: 256, level: 128 },
  { name: "Dark range (lung fields)", width: 140, level: 80 },
  { name: "Bright range (mediastinum, bone)", width: 140, level: 180 },
  { name: "High contrast", width: 96, level: 128 },
];
const MAX_SCALE = 8;
const KEY_PAN = 40;

/** Slope and intercept of the grey transfer for a window (values in 0-1, as SVG filters see them). */
export function transfer({ width, level, invert }: Windowing): { slope: number; intercept: number } {
  const w = width / 255;
  const low = (level - width / 2) / 255;
  return invert ? { slope: -1 / w, intercept: 1 + low / w } : { slope: 1 / w, intercept: -low / w };
}

type Role = "Previous" | "Baseline" | "Comparison";

export function ScanComparison({
  current,
  films,
  explains,
}: {
  current: Film;
  films: Film[];
  /** What the heatmap's score is: the model's extent estimate, or the neighbours' severity index. */
  explains: "extent" | "index";
}) {
  const at = films.findIndex((f) => f.scanId === current.scanId);
  const previous = at > 0 ? films[at - 1] : undefined;
  const [choice, setChoice] = useState<string>(previous ? "previous" : "none");
  const others = films.filter((f) => f.scanId !== current.scanId);
  const first = films[0] && films[0].scanId !== current.scanId ? films[0] : undefined;
  let compare: Film | undefined;
  let role: Role = "Comparison";
  if (choice === "previous") {
    compare = previous;
    role = "Previous";
  } else if (choice === "baseline") {
    compare = first;
    role = "Baseline";
  } else if (choice !== "none") {
    compare = others.find((f) => f.scanId === choice);
    role = compare && previous && compare.scanId === previous.scanId ? "Previous" : "Comparison";
  }

  const [windowing, setWindowing] = useState<Windowing>(FULL_RANGE);
  const [heatmap, setHeatmap] = useState(false);
  const [heatOpacity, setHeatOpacity] = useState(50);
  const [heatState, setHeatState] = useState<"loading" | "ready" | "failed">("loading");
  const [tool, setTool] = useState<"pan" | "window">("pan");
  const filterId = `wl-${useId().replace(/:/g, "")}`;
  const { slope, intercept } = transfer(windowing);

  const panes = useRef<(HTMLDivElement | null)[]>([]);
  const zoomers = useRef<(PanzoomObject | null)[]>([]);
  const [view, setView] = useState({ x: 0, y: 0, scale: 1 });

  // One panzoom per pane; a change in one is applied silently to the others, so they stay in step.
  const attach = useCallback((index: number, img: HTMLDivElement | null) => {
    zoomers.current[index]?.destroy();
    zoomers.current[index] = null;
    panes.current[index] = img;
    if (!img) return;
    const pz = Panzoom(img, { maxScale: MAX_SCALE, minScale: 1, cursor: "grab", animate: false });
    zoomers.current[index] = pz;
    const frame = img.parentElement;
    const onWheel = (event: WheelEvent) => pz.zoomWithWheel(event);
    frame?.addEventListener("wheel", onWheel, { passive: false });
    // A pane that comes later (another comparison film chosen) starts where the first pane is.
    const lead = zoomers.current[0];
    if (index > 0 && lead) {
      pz.zoom(lead.getScale(), { silent: true, animate: false });
      pz.pan(lead.getPan().x, lead.getPan().y, { silent: true, animate: false, force: true });
    }
    img.addEventListener("panzoomchange", (event) => {
      const { x, y, scale } = (event as CustomEvent<{ x: number; y: number; scale: number }>).detail;
      setView({ x, y, scale });
      zoomers.current.forEach((other, j) => {
        if (j === index || !other) return;
        other.zoom(scale, { silent: true, animate: false });
        other.pan(x, y, { silent: true, animate: false, force: true });
      });
    });
  }, []);

  // Stable ref callbacks: a new function each render would destroy and recreate the panzoom (and its view).
  const currentRef = useCallback((el: HTMLDivElement | null) => attach(0, el), [attach]);
  const compareRef = useCallback((el: HTMLDivElement | null) => attach(1, el), [attach]);

  useEffect(() => {
    for (const pz of zoomers.current)
      pz?.setOptions({ disablePan: tool === "window", cursor: tool === "window" ? "crosshair" : "grab" });
  }, [tool]);
  useEffect(() => () => zoomers.current.forEach((pz) => pz?.destroy()), []);

  const all = (fn: (pz: PanzoomObject) => void) => zoomers.current.forEach((pz) => pz && fn(pz));
  const zoomBy = (factor: number) => {
    const lead = zoomers.current[0];
    if (!lead) return;
    lead.zoom(Math.min(MAX_SCALE, Math.max(1, lead.getScale() * factor)), { animate: false });
  };
  const panBy = (dx: number, dy: number) => {
    const lead = zoomers.current[0];
    if (!lead) return;
    lead.pan(dx / lead.getScale(), dy / lead.getScale(), { relative: true, animate: false });
  };
  const reset = () => {
    all((pz) => pz.reset({ animate: false }));
    setView({ x: 0, y: 0, scale: 1 });
    setWindowing(FULL_RANGE);
  };

  // Window/level by drag (the window tool): right-left widens or narrows the window, up-down moves the level.
  const drag = useRef<{ x: number; y: number; start: Windowing } | null>(null);
  const onPointerDown = (event: React.PointerEvent) => {
    drag.current = { x: event.clientX, y: event.clientY, start: windowing };
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
  };
  const onPointerMove = (event: React.PointerEvent) => {
    const d = drag.current;
    if (!d) return;
    const width = Math.min(512, Math.max(8, d.start.width + (event.clientX - d.x)));
    const level = Math.min(255, Math.max(0, d.start.level - (event.clientY - d.y)));
    setWindowing({ ...d.start, width, level });
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  const onKeyDown = (event: React.KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      "+": () => zoomBy(1.25),
      "=": () => zoomBy(1.25),
      "-": () => zoomBy(0.8),
      ArrowLeft: () => panBy(KEY_PAN, 0),
      ArrowRight: () => panBy(-KEY_PAN, 0),
      ArrowUp: () => panBy(0, KEY_PAN),
      ArrowDown: () => panBy(0, -KEY_PAN),
      "0": reset,
      i: () => setWindowing((w) => ({ ...w, invert: !w.invert })),
    };
    const action = keys[event.key];
    if (!action) return;
    // Arrow keys here move the image, not to the next film (scan-keyboard.tsx listens on the window).
    event.preventDefault();
    event.stopPropagation();
    action();
  };

  const shown: { film: Film; label: string }[] = [{ film: current, label: "Current" }];
  if (compare) shown.push({ film: compare, label: role });
  return (
    <section aria-labelledby="compare-heading" className="comparison">
      <svg width="0" height="0" aria-hidden="true" focusable="false" className="filter-defs">
        <filter id={filterId} colorInterpolationFilters="sRGB">
          <feComponentTransfer>
            <feFuncR type="linear" slope={slope} intercept={intercept} />
            <feFuncG type="linear" slope={slope} intercept={intercept} />
            <feFuncB type="linear" slope={slope} intercept={intercept} />
          </feComponentTransfer>
        </filter>
      </svg>
      <div className="section-head">
        <h3 id="compare-heading">{compare ? "Current and comparison film" : "Current film"}</h3>
        {compare && (
          <p className="interval" data-testid="days-between">
            {filmInterval(current, compare)}
          </p>
        )}
      </div>
      <div className="viewer-tools no-print" role="toolbar" aria-label="Viewer tools">
        <label className="field">
          <span>Compare with</span>
          <select value={choice} onChange={(e) => setChoice(e.target.value)} disabled={others.length === 0}>
            <option value="none">No comparison</option>
            {previous && <option value="previous">Previous film ({filmWhen(previous)})</option>}
            {first && <option value="baseline">First film, baseline ({filmWhen(first)})</option>}
            {others.map((f) => (
              <option key={f.scanId} value={f.scanId}>
                Film of {filmWhen(f)}
              </option>
            ))}
          </select>
        </label>
        <fieldset className="tool-choice">
          <legend>Drag to</legend>
          <label className="checkbox">
            <input type="radio" name={`${filterId}-tool`} checked={tool === "pan"} onChange={() => setTool("pan")} />
            pan
          </label>
          <label className="checkbox">
            <input
              type="radio"
              name={`${filterId}-tool`}
              checked={tool === "window"}
              onChange={() => setTool("window")}
            />
            window / level
          </label>
        </fieldset>
        <label className="field">
          <span>Window preset</span>
          <select
            value={PRESETS.find((p) => p.width === windowing.width && p.level === windowing.level)?.name ?? ""}
            onChange={(e) => {
              const p = PRESETS.find((q) => q.name === e.target.value);
              if (p) setWindowing((w) => ({ ...w, width: p.width, level: p.level }));
            }}
          >
            <option value="" disabled>
              Custom (W {Math.round(windowing.width)} / L {Math.round(windowing.level)})
            </option>
            {PRESETS.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={windowing.invert}
            onChange={(e) => setWindowing((w) => ({ ...w, invert: e.target.checked }))}
          />
          Invert
        </label>
        <button type="button" onClick={() => zoomBy(1.25)} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => zoomBy(0.8)} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={reset}>
          Reset
        </button>
        <output className="muted" aria-live="polite">
          {view.scale.toFixed(2)}× · W {Math.round(windowing.width)} / L {Math.round(windowing.level)}
          {windowing.invert ? " · inverted" : ""}
        </output>
      </div>
      <div className="heatmap-tools no-print">
        <label className="checkbox">
          <input
            type="checkbox"
            checked={heatmap}
            onChange={(e) => {
              setHeatState("loading");
              setHeatmap(e.target.checked);
            }}
          />
          Show what drives the score (current film)
        </label>
        {heatmap && (
          <>
            <label className="field heatmap-opacity">
              <span>Overlay opacity</span>
              <input
                type="range"
                min={0}
                max={100}
                step={5}
                value={heatOpacity}
                onChange={(e) => setHeatOpacity(Number(e.target.value))}
                aria-valuetext={`${heatOpacity}%`}
              />
            </label>
            <span className="muted" role="status">
              {heatState === "loading"
                ? "Computing the map (one embedding per grid cell: up to a minute the first time)…"
                : heatState === "failed"
                  ? "The map could not be computed."
                  : ""}
            </span>
          </>
        )}
        {heatmap && (
          <p className="heatmap-statement">
            {explains === "extent"
              ? "Red: where covering the film moves the model's extent estimate (0-8) most (occlusion sensitivity)."
              : "Red: where covering the film moves its severity index most (occlusion sensitivity of the score from its nearest reference films)."}{" "}
            It shows what the score reacts to, not a finding, a lesion or a diagnosis.
          </p>
        )}
      </div>
      <div
        className="compare-grid"
        tabIndex={0}
        role="group"
        aria-label="Films side by side. Keys: plus and minus zoom, arrows pan, 0 resets, i inverts."
        onKeyDown={onKeyDown}
      >
        {shown.map(({ film, label }, i) => (
          <figure key={`${i}-${film.scanId}`} className="compare-pane">
            <div className="compare-frame">
              <div className="pz" ref={i === 0 ? currentRef : compareRef}>
                {/* eslint-disable-next-line @next/next/no-img-element -- authenticated image route */}
                <img
                  className="film"
                  src={`/api/scans/${film.scanId}/full`}
                  alt={`${label} film of ${filmWhen(film)}`}
                  width={1024}
                  height={1024}
                  draggable={false}
                  style={{ filter: `url(#${filterId})` }}
                />
                {i === 0 && heatmap && (
                  // eslint-disable-next-line @next/next/no-img-element -- authenticated image route
                  <img
                    className="heatmap"
                    src={`/api/scans/${film.scanId}/heatmap`}
                    alt=""
                    width={1024}
                    height={1024}
                    draggable={false}
                    style={{ opacity: heatOpacity / 100 }}
                    onLoad={() => setHeatState("ready")}
                    onError={() => setHeatState("failed")}
                  />
                )}
              </div>
              {tool === "window" && (
                // With the window tool a surface over the film takes the drags, so panzoom never sees them.
                <div
                  className="wl-surface"
                  onPointerDown={onPointerDown}
                  onPointerMove={onPointerMove}
                  onPointerUp={onPointerUp}
                  onPointerCancel={onPointerUp}
                />
              )}
            </div>
            <figcaption>
              {label} · {filmWhen(film)}
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}
