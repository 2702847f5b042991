import type { CheckResult } from '../domain/result.js';
import type { Store } from './store.js';

export interface BatchWriterOptions {
  /** Flush at least this often (ms, default 1000). */
  readonly flushMs?: number;
  /** Flush as soon as this many results wait (default 1000). */
  readonly maxBatch?: number;
  /** Results kept while the store is failing, at most; the oldest are dropped past that (default 100000). */
  readonly maxPending?: number;
  readonly onError?: (error: unknown, pending: number) => void;
  readonly onDrop?: (dropped: number) => void;
}

export interface BatchWriter {
  add(result: CheckResult): void;
  /** Writes what is pending now. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
  readonly pending: number;
}

/**
 * Groups results into one transaction per batch: a store write costs about
 * the same for 1 row as for 1,000. A failed write keeps the batch and retries
 * at the next flush; memory stays bounded by maxPending.
 */
export function createBatchWriter(store: Store, options: BatchWriterOptions = {}): BatchWriter {
  const flushMs = options.flushMs ?? 1_000;
  const maxBatch = options.maxBatch ?? 1_000;
  const maxPending = options.maxPending ?? 100_000;
  let queue: CheckResult[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;

  const flush = async (): Promise<void> => {
    if (writing) await writing;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    writing = store
      .write(batch)
      .catch((error: unknown) => {
        queue = batch.concat(queue);
        if (queue.length > maxPending) {
          const dropped = queue.length - maxPending;
          queue = queue.slice(dropped);
          options.onDrop?.(dropped);
        }
        options.onError?.(error, queue.length);
      })
      .finally(() => {
        writing = undefined;
      });
    await writing;
  };

  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();

  return {
    add(result) {
      if (closed) throw new Error('batch writer is closed');
      queue.push(result);
      if (queue.length >= maxBatch && !writing) void flush();
    },
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
      if (queue.length > 0) await flush();
    },
    get pending() {
      return queue.length;
    },
  };
}
