"use client";

// The live progress bar: polls the progress route every second while the job runs, then refreshes the page once
// it ends (so the file table and the report show the final outcome).
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { BulkProgress } from "@/lib/bulk/service";
import styles from "../bulk.module.css";

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function JobProgress({ jobId, initial }: { jobId: string; initial: BulkProgress }) {
  const router = useRouter();
  const [p, setP] = useState(initial);
  const live = p.status === "queued" || p.status === "running";

  useEffect(() => {
    if (!live) return;
    let stopped = false;
    const timer = setInterval(async () => {
      const response = await fetch(`/api/bulk/${jobId}/progress`, { cache: "no-store" }).catch(() => null);
      if (!response?.ok || stopped) return;
      const next = (await response.json()) as BulkProgress;
      setP(next);
      if (next.status !== "queued" && next.status !== "running") {
        stopped = true;
        clearInterval(timer);
        router.refresh();
      }
    }, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [jobId, live, router]);

  const percent = p.total > 0 ? Math.floor((100 * p.processed) / p.total) : 0;
  return (
    <div>
      <progress
        className={styles.bar}
        max={p.total || 1}
        value={p.processed}
        aria-label="Bulk upload progress"
        aria-valuetext={`${percent}%`}
      />
      <p className={styles.numbers} role="status" aria-live="polite">
        <span data-testid="progress-percent">{percent}%</span>
        <span>
          {p.processed} / {p.total} processed
        </span>
        <span>{p.failed} failed</span>
        <span>
          {p.stored} stored, {p.duplicate} already there
        </span>
        {p.rate !== null && <span>{p.rate.toFixed(1)} files/s</span>}
        {live && p.etaSeconds !== null && <span>about {duration(p.etaSeconds)} left</span>}
        {live && p.status === "queued" && <span>waiting for the worker…</span>}
      </p>
    </div>
  );
}
