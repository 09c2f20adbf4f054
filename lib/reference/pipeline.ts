// Prepares items ahead of the one being consumed, so that slow independent work (decoding, embedding) of the next
// items overlaps the consumer's (writing files and rows). Consumption stays strictly in order and one at a time, and
// at most `depth` items are being prepared at once, which bounds the memory the prepared work holds.

export interface PipelineSteps<T, P> {
  /** Items prepared at once, ahead of the consumer. 1 = no overlap at all. */
  depth: number;
  prepare(item: T, index: number): Promise<P>;
  consume(prepared: P, item: T, index: number): Promise<void>;
}

/**
 * Runs prepare and consume over every item. After the first failure nothing new starts; the preparations already
 * running are awaited (so none outlives this call), then the first error is thrown.
 */
export async function runPipeline<T, P>(items: readonly T[], steps: PipelineSteps<T, P>): Promise<void> {
  if (!Number.isInteger(steps.depth) || steps.depth < 1) throw new RangeError("depth must be a positive integer");
  const running: Promise<P>[] = [];
  let next = 0;
  const start = () => {
    const i = next++;
    const p = steps.prepare(items[i]!, i);
    p.catch(() => {}); // awaited in turn below; this only keeps a failure ahead of its turn from counting as unhandled
    running.push(p);
  };
  try {
    while (next < items.length && running.length < steps.depth - 1) start();
    for (let i = 0; i < items.length; i++) {
      // Keep `depth` preparations going, counting the one about to be consumed, while the consumer works.
      if (next < items.length) start();
      const prepared = await running.shift()!;
      await steps.consume(prepared, items[i]!, i);
    }
  } finally {
    await Promise.allSettled(running);
  }
}
