// Terminal progress for long imports: a bar redrawn in place when the output is a terminal, periodic plain lines
// otherwise (CI logs and files must not fill up with carriage returns).
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  done: number;
  total: number;
  /** Shown after the numbers, e.g. "12 skipped". */
  note?: string;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export interface ProgressReporter {
  update(state: ProgressState): void;
  /** Draws the final state and ends the line. */
  finish(state: ProgressState): void;
}

export function createProgressReporter(
  stream: ProgressStream,
  options: { label?: string; intervalMs?: number; lineIntervalMs?: number; now?: () => number } = {},
): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const label = options.label ?? "";
  const tty = stream.isTTY === true;
  // A terminal can take ten redraws a second; a log file gets a line every 10 s.
  const interval = tty ? (options.intervalMs ?? 100) : (options.lineIntervalMs ?? 10_000);
  const started = now();
  // The rate counts only work done in this run, so a resumed import does not claim a burst of speed.
  let firstDone: number | null = null;
  let last = -Infinity;
  let lastPrinted: ProgressState | null = null;

  const render = (state: ProgressState): string => {
    const elapsed = (now() - started) / 1000;
    firstDone ??= state.done;
    const doneHere = state.done - firstDone;
    const rate = elapsed > 0 ? doneHere / elapsed : 0;
    const eta = rate > 0 ? (state.total - state.done) / rate : Number.NaN;
    const pct = state.total > 0 ? state.done / state.total : 1;
    const numbers =
      `${state.done}/${state.total} (${(pct * 100).toFixed(0)}%) ${rate.toFixed(1)}/s ` +
      `elapsed ${formatDuration(elapsed)} ETA ${state.done >= state.total ? "0:00" : formatDuration(eta)}` +
      (state.note ? `, ${state.note}` : "");
    if (!tty) return `${label}${numbers}`;
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - numbers.length - label.length - 4));
    const filled = Math.round(pct * width);
    return `${label}[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${numbers}`;
  };

  return {
    update(state) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      lastPrinted = state;
      // \x1b[K clears what a longer previous line left behind.
      stream.write(tty ? `\r${render(state)}\x1b[K` : `${render(state)}\n`);
    },
    finish(state) {
      if (tty) {
        stream.write(`\r${render(state)}\x1b[K\n`);
      } else if (lastPrinted?.done !== state.done || lastPrinted.total !== state.total) {
        // A log already showing the final count needs no second copy of it.
        stream.write(`${render(state)}\n`);
      }
    },
  };
}
