// Coalesces concurrent single requests into batches (one inference of 16 is far cheaper than 16 of 1) while
// bounding memory: at most `maxPending` items are admitted, later callers wait in line, and once `maxWaiting`
// callers wait, new ones are refused rather than piling up.
import { EmbeddingQueueFullError } from "./errors";

export interface BatcherOptions<I, O> {
  maxBatch: number;
  maxPending: number;
  maxWaiting: number;
  /** One batch at a time. Return a result or an Error per item (so one bad item fails alone); throw to fail all. */
  run(items: readonly I[]): Promise<ReadonlyArray<O | Error>>;
}

export interface BatcherStats {
  /** Admitted: queued plus running. Never above maxPending. */
  pending: number;
  running: number;
  waiting: number;
  peakPending: number;
  batches: number;
}

interface Job<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class BoundedBatcher<I, O> {
  private readonly queue: Job<I, O>[] = [];
  private readonly waiters: Array<() => void> = [];
  private admitted = 0;
  private runningCount = 0;
  private draining = false;
  private peak = 0;
  private batchCount = 0;

  constructor(private readonly options: BatcherOptions<I, O>) {
    for (const key of ["maxBatch", "maxPending", "maxWaiting"] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1)
        throw new RangeError(`${key} must be a positive integer`);
    }
  }

  stats(): BatcherStats {
    return {
      pending: this.admitted,
      running: this.runningCount,
      waiting: this.waiters.length,
      peakPending: this.peak,
      batches: this.batchCount,
    };
  }

  async submit(item: I): Promise<O> {
    await this.acquire();
    return this.enqueue(item);
  }

  /**
   * Admits items one by one as room frees up, so a long list holds at most maxPending slots and counts as a single
   * waiter. Stops admitting after the first failure.
   */
  async submitAll(items: readonly I[]): Promise<O[]> {
    const results: Promise<O>[] = [];
    let failed = false;
    for (const item of items) {
      if (failed) break;
      await this.acquire();
      const p = this.enqueue(item);
      // Observed now so an early rejection is not reported as unhandled while later items wait for admission.
      p.catch(() => {
        failed = true;
      });
      results.push(p);
    }
    return Promise.all(results);
  }

  private acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.admitted < this.options.maxPending) {
      this.take();
      return Promise.resolve();
    }
    if (this.waiters.length >= this.options.maxWaiting) {
      return Promise.reject(
        new EmbeddingQueueFullError(
          `embedding queue full: ${this.admitted} images in progress and ${this.waiters.length} callers waiting; retry later`,
        ),
      );
    }
    // The slot is taken on the waiter's behalf in release(), so nobody can jump in between.
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private take(): void {
    this.admitted++;
    if (this.admitted > this.peak) this.peak = this.admitted;
  }

  private release(n: number): void {
    this.admitted -= n;
    while (this.waiters.length > 0 && this.admitted < this.options.maxPending) {
      this.take();
      this.waiters.shift()!();
    }
  }

  private enqueue(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Wait one turn of the event loop so requests arriving together land in the same batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const jobs = this.queue.splice(0, this.options.maxBatch);
      this.runningCount = jobs.length;
      this.batchCount++;
      try {
        const results = await this.options.run(jobs.map((j) => j.item));
        jobs.forEach((job, i) => {
          const r = results[i];
          if (r === undefined)
            job.reject(new Error(`batch runner returned ${results.length} results for ${jobs.length}`));
          else if (r instanceof Error) job.reject(r);
          else job.resolve(r);
        });
      } catch (error) {
        for (const job of jobs) job.reject(error);
      } finally {
        this.runningCount = 0;
        this.release(jobs.length);
      }
      // Let freshly admitted waiters enqueue before deciding the queue is empty.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.draining = false;
  }
}
