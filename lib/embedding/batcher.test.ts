import { describe, expect, it } from "vitest";
import { BoundedBatcher } from "./batcher";
import { EmbeddingQueueFullError } from "./errors";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

function doubler(opts: { maxBatch: number; maxPending: number; maxWaiting: number; delayMs?: number }) {
  const batchSizes: number[] = [];
  let inRunner = 0;
  let maxInRunner = 0;
  const batcher = new BoundedBatcher<number, number>({
    ...opts,
    async run(items) {
      batchSizes.push(items.length);
      inRunner += items.length;
      maxInRunner = Math.max(maxInRunner, inRunner);
      await tick(opts.delayMs ?? 2);
      inRunner -= items.length;
      return items.map((x) => (x < 0 ? new Error(`bad item ${x}`) : x * 2));
    },
  });
  return { batcher, batchSizes, maxInRunner: () => maxInRunner };
}

describe("BoundedBatcher", () => {
  it("never admits more than maxPending under 100 concurrent requests, and coalesces them into batches", async () => {
    const { batcher, batchSizes } = doubler({ maxBatch: 4, maxPending: 10, maxWaiting: 1000 });
    let maxSeen = 0;
    const poll = setInterval(() => (maxSeen = Math.max(maxSeen, batcher.stats().pending)), 0);
    const inputs = Array.from({ length: 100 }, (_, i) => i);
    const results = await Promise.all(inputs.map((x) => batcher.submit(x)));
    clearInterval(poll);
    expect(results).toEqual(inputs.map((x) => x * 2));
    expect(batcher.stats().peakPending).toBeLessThanOrEqual(10);
    expect(maxSeen).toBeLessThanOrEqual(10);
    expect(Math.max(...batchSizes)).toBe(4);
    expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(100);
    expect(batchSizes.length).toBe(25); // full batches: concurrent singles were coalesced
    expect(batcher.stats()).toMatchObject({ pending: 0, waiting: 0, running: 0 });
  });

  it("admits a long list a slot at a time (one waiter), keeping order", async () => {
    const { batcher } = doubler({ maxBatch: 16, maxPending: 16, maxWaiting: 1 });
    const inputs = Array.from({ length: 100 }, (_, i) => i);
    expect(await batcher.submitAll(inputs)).toEqual(inputs.map((x) => x * 2));
    expect(batcher.stats().peakPending).toBeLessThanOrEqual(16);
  });

  it("refuses callers beyond maxWaiting instead of growing without bound", async () => {
    const { batcher } = doubler({ maxBatch: 2, maxPending: 2, maxWaiting: 3, delayMs: 20 });
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => batcher.submit(i)));
    const ok = settled.filter((s) => s.status === "fulfilled");
    const refused = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
    expect(ok).toHaveLength(5); // 2 admitted + 3 waiting
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r).toBeInstanceOf(EmbeddingQueueFullError);
  });

  it("fails only the bad item of a batch", async () => {
    const { batcher } = doubler({ maxBatch: 8, maxPending: 8, maxWaiting: 8 });
    const settled = await Promise.allSettled([1, -1, 3].map((x) => batcher.submit(x)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });
});
