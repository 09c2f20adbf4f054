"use client";

import {
  Chart as ChartJS,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
  type ChartOptions,
  type Plugin,
  type ScriptableContext,
} from "chart.js";
import { useRouter } from "next/navigation";
import { useMemo } from "react";
import { Line } from "react-chartjs-2";
import type { ScaleView, TimelinePointView } from "./timeline-types";

ChartJS.register(LinearScale, PointElement, LineElement, Tooltip);

function bandsOf(scale: ScaleView) {
  return [
    { from: 0, to: scale.regions.infected, colour: "rgba(63, 185, 80, 0.12)", label: "healthy" },
    { from: scale.regions.infected, to: scale.regions.severe, colour: "rgba(210, 153, 34, 0.14)", label: "infected" },
    { from: scale.regions.severe, to: scale.max, colour: "rgba(248, 81, 73, 0.16)", label: "severe" },
  ];
}

// Background bands for the three regions, drawn under the line (chart.js has no band primitive), then the model's
// interval as a shaded ribbon through the points.
const bandsPlugin = (scale: ScaleView, drawn: TimelinePointView[]): Plugin<"line"> => ({
  id: "radtrackBands",
  beforeDatasetsDraw(chart) {
    const { ctx, chartArea, scales } = chart;
    const x = scales.x;
    const y = scales.y;
    if (!y || !x) return;
    ctx.save();
    for (const band of bandsOf(scale)) {
      const top = y.getPixelForValue(band.to);
      const bottom = y.getPixelForValue(band.from);
      ctx.fillStyle = band.colour;
      ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
      ctx.fillStyle = "rgba(154, 164, 178, 0.9)";
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillText(band.label, chartArea.left + 6, top + 14);
    }
    const withInterval = drawn.filter((p) => p.lo !== null && p.hi !== null);
    if (withInterval.length > 0) {
      ctx.fillStyle = "rgba(90, 176, 255, 0.18)";
      ctx.beginPath();
      withInterval.forEach((p, i) => {
        const px = x.getPixelForValue(Date.parse(p.date));
        const py = y.getPixelForValue(p.hi as number);
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      });
      for (const p of [...withInterval].reverse()) {
        ctx.lineTo(x.getPixelForValue(Date.parse(p.date)), y.getPixelForValue(p.lo as number));
      }
      ctx.closePath();
      ctx.fill();
      if (withInterval.length === 1) {
        // One film: a vertical bar, since a ribbon needs two points.
        const p = withInterval[0]!;
        const px = x.getPixelForValue(Date.parse(p.date));
        ctx.fillRect(
          px - 4,
          y.getPixelForValue(p.hi as number),
          8,
          y.getPixelForValue(p.lo as number) - y.getPixelForValue(p.hi as number),
        );
      }
    }
    ctx.restore();
  },
});

const DAY = 86_400_000;

export function TimelineChart({
  patientId,
  points,
  scale,
  selectedId,
}: {
  patientId: string;
  points: TimelinePointView[];
  scale: ScaleView;
  selectedId: string | null;
}) {
  const router = useRouter();
  const drawn = useMemo(() => points.filter((p) => p.value !== null), [points]);
  const plugin = useMemo(() => bandsPlugin(scale, drawn), [scale, drawn]);
  const data = useMemo(
    () => ({
      datasets: [
        {
          label: scale.label,
          data: drawn.map((p) => ({ x: Date.parse(p.date), y: p.value as number })),
          borderColor: "#5ab0ff",
          backgroundColor: "#5ab0ff",
          tension: 0,
          pointRadius: (c: ScriptableContext<"line">) =>
            drawn[c.dataIndex]?.scanId === selectedId ? 8 : drawn[c.dataIndex]?.alert ? 7 : 4,
          pointStyle: (c: ScriptableContext<"line">) => (drawn[c.dataIndex]?.alert ? "triangle" : "circle"),
          pointBackgroundColor: (c: ScriptableContext<"line">) =>
            drawn[c.dataIndex]?.alert ? "#f85149" : drawn[c.dataIndex]?.scanId === selectedId ? "#ffffff" : "#5ab0ff",
        },
      ],
    }),
    [drawn, selectedId, scale.label],
  );
  const xs = drawn.map((p) => Date.parse(p.date));
  const span = xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
  const pad = Math.max(span * 0.05, DAY);
  const options: ChartOptions<"line"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    scales: {
      x: {
        type: "linear",
        min: xs.length ? Math.min(...xs) - pad : undefined,
        max: xs.length ? Math.max(...xs) + pad : undefined,
        title: { display: true, text: "Acquisition date", color: "#9aa4b2" },
        ticks: { color: "#9aa4b2", maxTicksLimit: 8, callback: (v) => new Date(Number(v)).toISOString().slice(0, 10) },
        grid: { color: "rgba(154,164,178,0.15)" },
      },
      y: {
        type: "linear",
        min: 0,
        // Headroom above the top band, so points at the maximum and alert markers are never cut by the frame.
        max: scale.max * 1.08,
        title: { display: true, text: scale.label, color: "#9aa4b2" },
        ticks: {
          color: "#9aa4b2",
          stepSize: scale.max / 8,
          callback: (v) => (Number(v) > scale.max + 1e-9 ? "" : String(Math.round(Number(v) * 100) / 100)),
        },
        grid: { color: "rgba(154,164,178,0.15)" },
      },
    },
    plugins: {
      tooltip: {
        callbacks: {
          title: (items) => drawn[items[0]?.dataIndex ?? 0]?.date.slice(0, 10) ?? "",
          label: (item) => {
            const p = drawn[item.dataIndex];
            if (!p || p.value === null) return "";
            const mix = p.mix
              ? ` · ${p.mix.healthy} healthy / ${p.mix.infected} infected / ${p.mix.severe} severe`
              : "";
            const value =
              scale.id === "extent"
                ? `extent ${p.value.toFixed(1)}${p.lo !== null && p.hi !== null ? ` (${p.lo.toFixed(1)}–${p.hi.toFixed(1)})` : ""}`
                : `index ${p.value.toFixed(2)}`;
            return `${value} (${p.region})${mix}${p.alert ? " · ALERT" : ""}`;
          },
        },
      },
    },
    onClick: (_event, elements) => {
      const p = elements[0] ? drawn[elements[0].index] : undefined;
      if (p) router.push(`/patients/${patientId}?scan=${p.scanId}`, { scroll: false });
    },
  };
  if (drawn.length === 0) {
    return <p className="empty">No scan has been placed among the reference scans yet.</p>;
  }
  return (
    // The canvas is a picture of the table below ("Numbers behind the chart"), which is what assistive technology
    // reads; the figure caption says so.
    <figure className="chart-figure">
      <div className="chart-box">
        <Line data={data} options={options} plugins={[plugin]} aria-hidden="true" />
      </div>
      <figcaption className="muted">
        {scale.id === "extent"
          ? "Estimated geographic extent of lung opacity (0-8, the readers' scale; severe at 5 or more) with the model's interval as a band"
          : "Severity index over time (0 = healthy neighbours, 1 = severe; uncalibrated)"}
        ; the neighbours&apos; class mix and every number are in the table below. Decision support, not a diagnosis.
      </figcaption>
    </figure>
  );
}
