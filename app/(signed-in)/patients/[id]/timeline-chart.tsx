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
import type { TimelinePointView } from "./timeline-types";

ChartJS.register(LinearScale, PointElement, LineElement, Tooltip);

const BANDS = [
  { from: 0, to: 1 / 3, colour: "rgba(63, 185, 80, 0.12)", label: "healthy" },
  { from: 1 / 3, to: 2 / 3, colour: "rgba(210, 153, 34, 0.14)", label: "infected" },
  { from: 2 / 3, to: 1, colour: "rgba(248, 81, 73, 0.16)", label: "severe" },
];

// Background bands for the three regions, drawn under the line (chart.js has no band primitive).
const bandsPlugin: Plugin<"line"> = {
  id: "radtrackBands",
  beforeDatasetsDraw(chart) {
    const { ctx, chartArea, scales } = chart;
    const y = scales.y;
    if (!y) return;
    ctx.save();
    for (const band of BANDS) {
      const top = y.getPixelForValue(band.to);
      const bottom = y.getPixelForValue(band.from);
      ctx.fillStyle = band.colour;
      ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
      ctx.fillStyle = "rgba(154, 164, 178, 0.9)";
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillText(band.label, chartArea.left + 6, top + 14);
    }
    ctx.restore();
  },
};

const DAY = 86_400_000;

export function TimelineChart({
  patientId,
  points,
  selectedId,
}: {
  patientId: string;
  points: TimelinePointView[];
  selectedId: string | null;
}) {
  const router = useRouter();
  const drawn = useMemo(() => points.filter((p) => p.index !== null), [points]);
  const data = useMemo(
    () => ({
      datasets: [
        {
          label: "Severity index",
          data: drawn.map((p) => ({ x: Date.parse(p.date), y: p.index as number })),
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
    [drawn, selectedId],
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
        max: 1,
        title: { display: true, text: "Severity index", color: "#9aa4b2" },
        ticks: { color: "#9aa4b2", stepSize: 0.1 },
        grid: { color: "rgba(154,164,178,0.15)" },
      },
    },
    plugins: {
      tooltip: {
        callbacks: {
          title: (items) => drawn[items[0]?.dataIndex ?? 0]?.date.slice(0, 10) ?? "",
          label: (item) => {
            const p = drawn[item.dataIndex];
            if (!p || p.index === null) return "";
            const mix = p.mix
              ? ` · ${p.mix.healthy} healthy / ${p.mix.infected} infected / ${p.mix.severe} severe`
              : "";
            return `index ${p.index.toFixed(2)} (${p.region})${mix}${p.alert ? " · ALERT" : ""}`;
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
        <Line data={data} options={options} plugins={[bandsPlugin]} aria-hidden="true" />
      </div>
      <figcaption className="muted">
        Severity index over time (0 = healthy neighbours, 1 = severe); the numbers are in the table below.
      </figcaption>
    </figure>
  );
}
