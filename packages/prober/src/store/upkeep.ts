import type { Logger } from 'pino';
import type { RetentionConfig } from '../config/resolved.js';
import type { Store } from './store.js';

/** Retention runs on its own timer, never inside a write. */
export const PRUNE_EVERY_MS = 10 * 60_000;
/** Finished minutes are folded into hours and days this often. */
export const COMPACT_EVERY_MS = 30_000;

export interface StoreUpkeepDeps {
  readonly store: Store;
  /** The running config's retention (changes on reload). */
  readonly retention: () => RetentionConfig;
  readonly logger: Logger;
  /** After each compaction that worked: the rollups changed. */
  readonly onCompacted?: () => void;
}

export interface StoreUpkeep {
  /** Arms both timers and runs one retention pass and one compaction now (the latter resolves when done). */
  start(): Promise<void>;
  /** One compaction (shared with one in flight); never rejects. */
  compact(): Promise<void>;
  /** Clears the timers; what is in flight ends on its own (or is cut by the store's close). */
  stop(): void;
}

/**
 * The store's periodic work in `lifeline run`: compaction every 30 s and
 * retention every 10 min, one of each at a time (on a stalled database each
 * would hold a pooled connection until its timeout), failures logged and
 * retried at the next tick. On PostgreSQL with several monitors one member at
 * a time does each (the store's advisory locks).
 */
export function createStoreUpkeep(deps: StoreUpkeepDeps): StoreUpkeep {
  const { store, logger } = deps;
  let compacting: Promise<void> | undefined;
  let pruning: Promise<void> | undefined;
  const timers: NodeJS.Timeout[] = [];

  const prune = (): Promise<void> =>
    (pruning ??= (async () => {
      try {
        const counts = await store.prune(Date.now(), deps.retention());
        if (counts.raw + counts.minute + counts.hour + counts.day + counts.notifications > 0)
          logger.info({ pruned: counts }, 'retention: old results and rollups deleted');
      } catch (error) {
        logger.error({ err: error }, 'retention failed; will retry');
      } finally {
        pruning = undefined;
      }
    })());
  const compact = (): Promise<void> =>
    (compacting ??= (async () => {
      try {
        await store.compact(Date.now());
        deps.onCompacted?.();
      } catch (error) {
        logger.error({ err: error }, 'compacting rollups failed; will retry');
      } finally {
        compacting = undefined;
      }
    })());

  return {
    start() {
      timers.push(
        setInterval(() => void prune(), PRUNE_EVERY_MS),
        setInterval(() => void compact(), COMPACT_EVERY_MS),
      );
      for (const timer of timers) timer.unref();
      void prune();
      return compact();
    },
    compact,
    stop() {
      for (const timer of timers.splice(0)) clearInterval(timer);
    },
  };
}
