import { describe, expect, it } from "vitest";
import { runPipeline } from "./pipeline";

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("runPipeline", () => {
  it("consumes every item in order, one at a time, with preparation running ahead", async () => {
    const events: string[] = [];
    let preparing = 0;
    let peak = 0;
    let consuming = 0;
    await runPipeline([0, 1, 2, 3, 4, 5], {
      depth: 3,
      async prepare(item) {
        preparing++;
        peak = Math.max(peak, preparing);
        events.push(`prepare ${item}`);
        await tick(item === 1 ? 30 : 5); // a slow one must not be overtaken by the consumer
        preparing--;
        return item * 10;
      },
      async consume(prepared, item, index) {
        expect(consuming).toBe(0);
        consuming++;
        expect(prepared).toBe(item * 10);
        expect(index).toBe(item);
        events.push(`consume ${item}`);
        await tick(20);
        consuming--;
      },
    });
    expect(events.filter((e) => e.startsWith("consume"))).toEqual([0, 1, 2, 3, 4, 5].map((i) => `consume ${i}`));
    expect(peak).toBe(3);
    // Item 1 and 2 were being prepared before item 0 was consumed.
    expect(events.indexOf("prepare 2")).toBeLessThan(events.indexOf("consume 0"));
  });

  it("depth 1 prepares nothing ahead", async () => {
    const events: string[] = [];
    await runPipeline(["a", "b", "c"], {
      depth: 1,
      prepare: async (item) => void events.push(`prepare ${item}`),
      consume: async (_p, item) => void events.push(`consume ${item}`),
    });
    expect(events).toEqual(["prepare a", "consume a", "prepare b", "consume b", "prepare c", "consume c"]);
  });

  it("after a failure starts nothing new, waits for the running preparations, and throws the first error", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const consumed: number[] = [];
    const run = runPipeline([0, 1, 2, 3, 4, 5, 6], {
      depth: 3,
      async prepare(item) {
        started.push(item);
        await tick(item === 3 ? 40 : 5);
        finished.push(item);
        return item;
      },
      async consume(item) {
        if (item === 1) throw new Error("write failed at 1");
        consumed.push(item);
      },
    });
    await expect(run).rejects.toThrow("write failed at 1");
    expect(consumed).toEqual([0]);
    expect(Math.max(...started)).toBeLessThanOrEqual(3);
    // Every preparation that started had finished before runPipeline returned.
    expect([...finished].sort()).toEqual([...started].sort());
  });

  it("a failed preparation fails the run without consuming it or anything after it", async () => {
    const consumed: number[] = [];
    const run = runPipeline([0, 1, 2, 3], {
      depth: 2,
      prepare: async (item) => {
        if (item === 2) throw new Error("read failed at 2");
        return item;
      },
      consume: async (item) => void consumed.push(item),
    });
    await expect(run).rejects.toThrow("read failed at 2");
    expect(consumed).toEqual([0, 1]);
  });

  it("refuses a depth below 1", async () => {
    await expect(runPipeline([1], { depth: 0, prepare: async () => 1, consume: async () => {} })).rejects.toThrow(
      RangeError,
    );
  });
});
