import { describe, expect, it } from "vitest";
import { createProgressReporter, formatDuration } from "./progress";

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 100, write: (t: string) => out.push(t) } };
}

describe("progress reporter", () => {
  it("redraws one line in a terminal, with count, rate and ETA", () => {
    let t = 0;
    const { out, stream } = sink(true);
    const bar = createProgressReporter(stream, { now: () => t });
    bar.update({ done: 0, total: 100 });
    t = 10_000;
    bar.update({ done: 50, total: 100 });
    t = 10_050; // within the redraw interval: skipped
    bar.update({ done: 51, total: 100 });
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^\r\[#+-+\] 50\/100 \(50%\) 5\.0\/s elapsed 0:10 ETA 0:10/);
    bar.finish({ done: 100, total: 100 });
    expect(out.at(-1)).toMatch(/100\/100 \(100%\).*ETA 0:00.*\n$/);
  });

  it("prints plain periodic lines when the output is not a terminal", () => {
    let t = 0;
    const { out, stream } = sink(false);
    const bar = createProgressReporter(stream, { now: () => t, lineIntervalMs: 10_000 });
    for (let i = 0; i <= 30; i++) {
      t = i * 1000;
      bar.update({ done: i, total: 30 });
    }
    expect(out).toHaveLength(4);
    expect(out.every((line) => !line.includes("\r") && line.endsWith("\n"))).toBe(true);
  });

  it("formats durations", () => {
    expect([5, 65, 3725, Number.NaN].map(formatDuration)).toEqual(["0:05", "1:05", "1:02:05", "--:--"]);
  });
});
