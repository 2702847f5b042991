import type { CheckResult } from '../domain/result.js';
import { yieldToLoop } from '../runtime/yield-to-loop.js';
import type { Store, WriteReport } from './store.js';

/** How often pending results are written by default: what a crash (kill -9) can lose, at most. */
export const DEFAULT_FLUSH_MS = 200;

export interface BatchWriterOptions {
  /** Write pending results this often (ms, default 200): a crash loses at most this window. */
  readonly flushMs?: number;
  /** Results per write, at most (default 1000); a backlog is written in chunks of this size. */
  readonly maxBatch?: number;
  /**
   * Results kept unsaved, at most, counting the write in flight; past that the
   * oldest waiting ones are dropped (default 100000).
   */
  readonly maxPending?: number;
  /** First wait after a failed write before the next attempt (ms, default 1000); doubles per failure. */
  readonly retryMinMs?: number;
  /** Longest wait between attempts while the store fails (ms, default 30000). */
  readonly retryMaxMs?: number;
  /** A write in flight longer than this is reported once through onSlow (ms, default 10000). */
  readonly slowMs?: number;
  /** close() gives up after this long and reports what it could not write (ms, default 5000). */
  readonly closeTimeoutMs?: number;
  /** Monotonic clock (ms); tests pass their own to step through backoff without waiting. */
  readonly now?: () => number;
  /** Every failed write (for a counter); `pending` is what waits to be written. */
  readonly onError?: (error: unknown, pending: number) => void;
  /** Once when writes start to fail, and once when they work again: one log line per state change. */
  readonly onStateChange?: (state: StoreWriteState) => void;
  readonly onDrop?: (dropped: number) => void;
  /** Every settled write, in seconds. */
  readonly onWrite?: (seconds: number, results: number, ok: boolean) => void;
  /** Once per write that has been in flight longer than slowMs. */
  readonly onSlow?: (inFlightMs: number, results: number) => void;
  /**
   * After each successful write, what the store did with its results: e.g.
   * the results a cluster member lost to fencing (they are not retried).
   */
  readonly onReport?: (report: WriteReport) => void;
}

export type StoreWriteState =
  | { readonly failing: true; readonly error: unknown; readonly pending: number }
  | { readonly failing: false; readonly pending: number; readonly failedForMs: number; readonly failures: number };

export interface CloseReport {
  /** Results that could not be written before close() returned: lost. */
  readonly lost: number;
  /** Whether close() stopped waiting because of its bound. */
  readonly timedOut: boolean;
}

export interface BatchWriter {
  add(result: CheckResult): void;
  /** Writes what is pending now, in chunks of maxBatch, unless a failed write's backoff has not passed. */
  flush(): Promise<void>;
  /** Stops the timer, makes one last bounded attempt, and reports what it could not write. */
  close(): Promise<CloseReport>;
  /** Results not written yet, the write in flight included: what a crash would lose now. */
  readonly pending: number;
  /** Whether the last write failed (and the next attempt waits for its backoff). */
  readonly failing: boolean;
  /** The last write error while failing. */
  readonly lastError: unknown;
  /** Epoch ms of the oldest result not written yet, if any. */
  oldestPending(): number | undefined;
}

/**
 * Groups results into one transaction per batch: a store write costs about
 * the same for 1 row as for 1,000. A failed write keeps its results and
 * retries after an exponential backoff (never once per new result), and
 * memory stays bounded by maxPending, also while a write is in flight.
 */
export function createBatchWriter(store: Store, options: BatchWriterOptions = {}): BatchWriter {
  const flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
  const maxPending = Math.max(1, options.maxPending ?? 100_000);
  const maxBatch = Math.min(maxPending, Math.max(1, options.maxBatch ?? 1_000));
  const retryMinMs = options.retryMinMs ?? 1_000;
  const retryMaxMs = Math.max(retryMinMs, options.retryMaxMs ?? 30_000);
  const slowMs = options.slowMs ?? 10_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  const now = options.now ?? (() => performance.now());

  let queue: CheckResult[] = [];
  let inFlight: readonly CheckResult[] = [];
  let writing: Promise<boolean> | undefined;
  let writeStarted = 0;
  let slowReported = false;
  let closed = false;
  let failures = 0;
  let failingSince = 0;
  let retryAt = 0;
  let lastError: unknown;

  const trim = () => {
    const over = queue.length + inFlight.length - maxPending;
    if (over <= 0) return;
    // shift() is cheap on a long array (V8 trims it in place); one result over is the usual case.
    if (over === 1) queue.shift();
    else queue.splice(0, over);
    options.onDrop?.(over);
  };

  /** One write of at most maxBatch results; true when it worked. */
  const writeOnce = (): Promise<boolean> => {
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    inFlight = batch;
    writeStarted = now();
    slowReported = false;
    let attempt: Promise<WriteReport>;
    try {
      attempt = store.write(batch);
    } catch (error) {
      attempt = Promise.reject(error);
    }
    writing = attempt.then(
      (report) => {
        options.onWrite?.((now() - writeStarted) / 1000, batch.length, true);
        options.onReport?.(report);
        inFlight = [];
        if (failures > 0) {
          const failedForMs = now() - failingSince;
          const count = failures;
          failures = 0;
          lastError = undefined;
          options.onStateChange?.({ failing: false, pending: queue.length, failedForMs, failures: count });
        }
        return true;
      },
      (error: unknown) => {
        options.onWrite?.((now() - writeStarted) / 1000, batch.length, false);
        inFlight = [];
        queue = batch.concat(queue);
        trim();
        lastError = error;
        if (failures === 0) failingSince = now();
        failures++;
        retryAt = now() + Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(failures - 1, 30));
        options.onError?.(error, queue.length);
        if (failures === 1) options.onStateChange?.({ failing: true, error, pending: queue.length });
        return false;
      },
    );
    return writing.finally(() => {
      writing = undefined;
    });
  };

  /**
   * Writes chunk after chunk until the queue is empty or a write fails, the
   * event loop free between chunks: a store that writes on this thread
   * (SQLite) would otherwise write a whole backlog in one go.
   */
  const drain = async (force: boolean): Promise<void> => {
    if (writing) await writing;
    let first = true;
    while (queue.length > 0) {
      if (!first) await yieldToLoop();
      first = false;
      // A write another caller started while the loop was free (a full batch from add()).
      while (writing) await writing;
      if (queue.length === 0) return;
      if (!force && failures > 0 && now() < retryAt) return;
      if (!(await writeOnce())) return;
    }
  };

  const tick = () => {
    if (writing) {
      const inFlightMs = now() - writeStarted;
      if (!slowReported && inFlightMs >= slowMs) {
        slowReported = true;
        options.onSlow?.(inFlightMs, inFlight.length);
      }
      return;
    }
    void drain(false);
  };
  const timer = setInterval(tick, flushMs);
  timer.unref();

  return {
    add(result) {
      if (closed) throw new Error('batch writer is closed');
      queue.push(result);
      trim();
      // A full batch goes out before the next tick, unless a write is in flight or backing off.
      if (queue.length >= maxBatch && !writing && (failures === 0 || now() >= retryAt)) void drain(false);
    },
    flush: () => drain(false),
    async close() {
      closed = true;
      clearInterval(timer);
      let bound: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        drain(true).then(() => false),
        new Promise<boolean>((resolve) => {
          bound = setTimeout(() => resolve(true), closeTimeoutMs);
        }),
      ]);
      clearTimeout(bound);
      return { lost: queue.length + inFlight.length, timedOut };
    },
    get pending() {
      return queue.length + inFlight.length;
    },
    get failing() {
      return failures > 0;
    },
    get lastError() {
      return lastError;
    },
    oldestPending() {
      const first = inFlight[0] ?? queue[0];
      return first ? Date.parse(first.time) : undefined;
    },
  };
}
