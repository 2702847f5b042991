import type { Logger } from 'pino';
import type { Metrics } from '../server/metrics.js';
import { type BatchWriter, createBatchWriter } from './batch.js';
import type { Store } from './store.js';

/** Results per SQLite transaction in `lifeline run`, at most: a few ms of the event loop each. */
export const SQLITE_MAX_BATCH = 200;

/** The batch writer of `lifeline run`: a log line per state change, metrics for every write. */
export function createMonitorWriter(store: Store, flushMs: number, logger: Logger, metrics: Metrics): BatchWriter {
  // Past maxPending every new result drops one: one line when dropping starts, the total at the next good write.
  let dropped = 0;
  const writer = createBatchWriter(store, {
    flushMs,
    // SQLite writes on this thread: at 100,000 checks a 200 ms flush holds ~330 results, a 1,000-result chunk
    // held the loop for tens of ms. PostgreSQL's write is a round trip off the thread: bigger chunks cost less.
    ...(store.kind === 'sqlite' ? { maxBatch: SQLITE_MAX_BATCH } : {}),
    onError: () => metrics.storeError(),
    onStateChange: (state) => {
      if (state.failing) {
        logger.error(
          { err: state.error, pending: state.pending },
          'writing results to the store fails; results wait in memory and are retried with backoff',
        );
      } else {
        logger.info(
          { pending: state.pending, failedForMs: Math.round(state.failedForMs), failures: state.failures },
          'writing results to the store works again',
        );
      }
    },
    onDrop: (count) => {
      metrics.storeDropped(count);
      if (dropped === 0) {
        logger.error(
          { dropped: count },
          'too many results wait for the store: the oldest are dropped from now on (counted in lifeline_store_dropped_results_total)',
        );
      }
      dropped += count;
    },
    onWrite: (seconds, _results, ok) => {
      metrics.storeWrite(seconds, ok);
      if (ok && dropped > 0) {
        logger.error({ dropped }, `${dropped} result(s) were dropped unsaved while the store could not keep up`);
        dropped = 0;
      }
    },
    // Results of an expelled member (issue #13): their checks were taken over; the new owner stores its own runs.
    onReport: (report) => {
      if (report.fenced === 0) return;
      metrics.fenced('results', report.fenced);
      logger.warn(
        { fenced: report.fenced },
        `${report.fenced} result(s) were refused by fencing: this member had lost its lease and its checks to another member`,
      );
    },
    onSlow: (inFlightMs, results) =>
      logger.warn(
        { inFlightMs: Math.round(inFlightMs), results, pending: writer.pending },
        `a write of ${results} result(s) to the store has been in flight for ${Math.round(inFlightMs / 1000)} s`,
      ),
  });
  metrics.storeQueue({
    flushSeconds: flushMs / 1000,
    pending: () => writer.pending,
    failing: () => writer.failing,
    oldestPending: () => writer.oldestPending(),
  });
  return writer;
}

/** Readiness of the store: reachable, and taking writes (a full disk still answers SELECT 1). */
export async function storeReady(store: Store, writer: BatchWriter | undefined): Promise<void> {
  if (writer?.failing) {
    const reason = writer.lastError instanceof Error ? writer.lastError.message : String(writer.lastError);
    throw new Error(`writes fail (${writer.pending} result(s) waiting): ${reason}`);
  }
  await store.ping();
}
