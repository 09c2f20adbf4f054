// A fix for @electric-sql/pglite-socket 0.2.17, which serves many client connections from PGlite's one backend by
// queueing their protocol messages. It keeps a connection's messages together only inside a transaction. Outside one,
// the messages of an extended-protocol query (Parse, Bind, Describe, Execute, then Sync) of two connections can
// interleave, and a Bind then meets the other connection's unnamed statement: "bind message supplies 3 parameters,
// but prepared statement "" requires 5", or worse, a query run with another query's parameters. Every pooled client
// (Prisma's pool, pg-boss) sends such queries concurrently. This keeps each exchange together, up to its Sync.
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";

interface QueueItem {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}

interface QueryQueue {
  queue: QueueItem[];
  processing: boolean;
  lastHandlerId: number | null;
  db: {
    isInTransaction(): boolean;
    runExclusive<T>(fn: () => Promise<T>): Promise<T>;
    execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }): Promise<void>;
  };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Frontend messages after which the same exchange goes on: Parse, Bind, Describe, Execute, Close, Flush.
const OPENS_EXCHANGE = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);

export function keepExtendedQueriesTogether(server: PGLiteSocketServer): void {
  const q = (server as unknown as { queryQueue?: QueryQueue }).queryQueue;
  if (!q || typeof q.processQueue !== "function" || !Array.isArray(q.queue)) {
    throw new Error("@electric-sql/pglite-socket changed: review lib/db/pglite-queue.ts before upgrading");
  }
  /** The connection in the middle of an extended-protocol exchange: nobody else runs until its Sync. */
  let owner: number | null = null;

  q.processQueue = async function processQueue(this: QueryQueue) {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const sticky = owner ?? (this.db.isInTransaction() ? this.lastHandlerId : null);
        const index = sticky === null ? 0 : this.queue.findIndex((item) => item.handlerId === sticky);
        // That connection has not sent its next message yet: wait for it (enqueue runs this again).
        if (index < 0) break;
        const [item] = this.queue.splice(index, 1) as [QueueItem];
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          owner = null;
          item.reject(error);
          continue;
        }
        this.lastHandlerId = item.handlerId;
        owner = OPENS_EXCHANGE.has(item.message[0] ?? 0) ? item.handlerId : null;
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };

  const clear = q.clearQueueForHandler.bind(q);
  q.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    // A connection that went away mid-exchange must not hold up the others.
    if (owner === handlerId) {
      owner = null;
      void q.processQueue();
    }
  };
}
