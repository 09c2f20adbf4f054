"use client";

import {
  Chart as ChartJS,
  Filler,
  LinearScale,
  LineElement,
  PointElement,
  TimeScale,
  Tooltip,
  type ChartDataset,
  type ChartOptions,
  type Plugin,
  type ScriptableContext,
} from "chart.js";
// Luxon's adapter rather than date-fns': it takes a time zone, and the app shows every date in UTC (the table, the
// strip, the CSV), so the axis must not move a film to the day before in a browser west of Greenwich.
import "chartjs-adapter-luxon";
import { useRouter } from "next/navigation";
import { useMemo } from "react";
import { Line } from "react-chartjs-2";
import { calendarStep, dateRange, valueRange, type CalendarUnit } from "@/lib/timeline/chart-axes";
import type { ChartPoint, ChartScaleSpec } from "./timeline-types";

ChartJS.register(TimeScale, LinearScale, PointElement, LineElement, Filler, Tooltip);

const LINE = "#5ab0ff";
const ALERT = "#f85149";
const MUTED = "#9aa4b2";
const GRID = "rgba(154,164,178,0.15)";

const DISPLAY_FORMATS: Record<CalendarUnit, string> = {
  day: "yyyy-MM-dd",
  week: "yyyy-MM-dd",
  month: "LLL yyyy",
  quarter: "LLL yyyy",
  year: "yyyy",
};

function bandsPlugin(scale: ChartScaleSpec): Plugin<"line"> {
  return {
    id: "radtrackBands",
    // Background regions drawn under the line (chart.js has no band primitive), only over the scale's own domain:
    // the headroom above and below stays blank so it does not read as more of a region.
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea } = chart;
      const y = chart.scales.y;
      if (!y) return;
      ctx.save();
      for (const band of scale.bands) {
        const top = y.getPixelForValue(band.to);
        const bottom = y.getPixelForValue(band.from);
        ctx.fillStyle = band.colour;
        ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
        ctx.fillStyle = MUTED;
        ctx.font = "11px system-ui, sans-serif";
        ctx.fillText(band.label, chartArea.left + 6, top + 14);
      }
      ctx.restore();
    },
  };
}

/**
 * Writes what was drawn (plot frame, each film's marker centre and radius, the date ticks) on the canvas element,
 * read by the end-to-end test that checks no marker touches the frame and the ticks fall on calendar steps.
 */
const geometryPlugin: Plugin<"line"> = {
  id: "radtrackGeometry",
  afterRender(chart) {
    const meta = chart.getDatasetMeta(0);
    const { left, top, right, bottom } = chart.chartArea;
    const markers = meta.data.map((el) => {
      const { x, y } = el.getProps(["x", "y"], true);
      return { x, y, r: Number((el.options as { radius?: number }).radius ?? 0) };
    });
    const x = chart.scales.x;
    chart.canvas.dataset.geometry = JSON.stringify({
      frame: { left, top, right, bottom },
      markers,
      ticks: x ? x.ticks.map((t) => t.value) : [],
    });
  },
};

function timeLabel(iso: string): string {
  const time = iso.slice(11, 16);
  return time === "00:00" ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time} UTC`;
}

/**
 * A course over time on any severity scale: the scale (domain, ticks, regions, title) comes in with the points, so
 * the chart draws today's index and an expert-scale estimate with its interval alike.
 */
export function TimelineChart({
  points,
  scale,
  selectedId,
  selectHref,
}: {
  points: ChartPoint[];
  scale: ChartScaleSpec;
  selectedId: string | null;
  /** A click on a marker goes to this address followed by the point's id. */
  selectHref: string;
}) {
  const router = useRouter();
  const withInterval = points.some((p) => p.lo != null && p.hi != null);
  const data = useMemo(() => {
    const at = (p: ChartPoint) => Date.parse(p.date);
    const datasets: ChartDataset<"line", { x: number; y: number }[]>[] = [
      {
        label: scale.title,
        data: points.map((p) => ({ x: at(p), y: p.value })),
        borderColor: LINE,
        backgroundColor: LINE,
        tension: 0,
        order: 0,
        pointRadius: (c: ScriptableContext<"line">) =>
          points[c.dataIndex]?.id === selectedId ? 8 : points[c.dataIndex]?.alert ? 7 : 4,
        pointHoverRadius: 8,
        pointStyle: (c: ScriptableContext<"line">) => (points[c.dataIndex]?.alert ? "triangle" : "circle"),
        pointBackgroundColor: (c: ScriptableContext<"line">) =>
          points[c.dataIndex]?.alert ? ALERT : points[c.dataIndex]?.id === selectedId ? "#ffffff" : LINE,
        pointBorderColor: (c: ScriptableContext<"line">) => (points[c.dataIndex]?.alert ? ALERT : LINE),
      },
    ];
    if (withInterval) {
      const banded = points.filter((p) => p.lo != null && p.hi != null);
      // Upper edge filled down to the next dataset (the lower edge): the interval as one shaded band.
      datasets.push(
        {
          label: "interval (upper)",
          data: banded.map((p) => ({ x: at(p), y: p.hi as number })),
          borderWidth: 0,
          pointRadius: 0,
          pointHitRadius: 0,
          fill: "+1",
          backgroundColor: "rgba(90, 176, 255, 0.22)",
          order: 1,
        },
        {
          label: "interval (lower)",
          data: banded.map((p) => ({ x: at(p), y: p.lo as number })),
          borderWidth: 0,
          pointRadius: 0,
          pointHitRadius: 0,
          fill: false,
          order: 1,
        },
      );
    }
    return { datasets };
  }, [points, selectedId, scale.title, withInterval]);
  const plugins = useMemo(() => [bandsPlugin(scale), geometryPlugin], [scale]);

  if (points.length === 0) {
    return <p className="empty">No scan has been placed among the reference scans yet.</p>;
  }
  const times = points.map((p) => Date.parse(p.date));
  const xRange = dateRange(times);
  const { unit, step } = calendarStep(xRange.max - xRange.min);
  const yRange = valueRange({ min: scale.min, max: scale.max });
  const inDomain = (v: number) => v >= scale.min - 1e-9 && v <= scale.max + 1e-9;
  const options: ChartOptions<"line"> = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    scales: {
      x: {
        type: "time",
        min: xRange.min,
        max: xRange.max,
        adapters: { date: { zone: "UTC" } },
        time: { unit, isoWeekday: true, displayFormats: DISPLAY_FORMATS },
        title: { display: true, text: "Acquisition date (UTC)", color: MUTED },
        ticks: { color: MUTED, source: "auto", stepSize: step, autoSkip: false, maxRotation: 0 },
        grid: { color: GRID },
      },
      y: {
        type: "linear",
        min: yRange.min,
        max: yRange.max,
        title: { display: true, text: scale.title, color: MUTED },
        ticks: { color: MUTED, stepSize: scale.tickStep, callback: (v) => Number(v).toFixed(scale.decimals) },
        // The headroom carries no ticks: the scale ends where its domain ends.
        afterBuildTicks: (axis) => {
          axis.ticks = axis.ticks.filter((t) => inDomain(t.value));
        },
        grid: { color: GRID },
      },
    },
    plugins: {
      tooltip: {
        filter: (item) => item.datasetIndex === 0,
        callbacks: {
          title: (items) => {
            const p = points[items[0]?.dataIndex ?? 0];
            return p ? timeLabel(p.date) : "";
          },
          label: (item) => {
            const p = points[item.dataIndex];
            if (!p) return "";
            const interval =
              p.lo != null && p.hi != null ? ` [${p.lo.toFixed(scale.decimals)}, ${p.hi.toFixed(scale.decimals)}]` : "";
            return `${p.value.toFixed(scale.decimals + 1)}${interval}${p.label ? ` · ${p.label}` : ""}${p.alert ? " · ALERT" : ""}`;
          },
        },
      },
    },
    onClick: (_event, elements) => {
      const hit = elements.find((e) => e.datasetIndex === 0);
      const p = hit ? points[hit.index] : undefined;
      if (p) router.push(`${selectHref}${encodeURIComponent(p.id)}`, { scroll: false });
    },
  };
  return (
    // The canvas is a picture of the table below ("Numbers behind the chart"), which is what assistive technology
    // reads; the figure caption says so.
    <figure className="chart-figure">
      <div className="chart-box">
        <Line data={data} options={options} plugins={plugins} aria-hidden="true" />
      </div>
      <figcaption className="muted">
        {scale.caption}
        {withInterval ? " The shaded band is the estimate's interval." : ""} The numbers are in the table below.
      </figcaption>
    </figure>
  );
}
