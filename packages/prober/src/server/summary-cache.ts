import { RESOLUTIONS, type Rollup } from '../domain/rollup.js';
import type { Store } from '../store/store.js';

const DAY = 86_400_000;

/** What the list of every check shows from history: each check's last 24 h (with histograms), 7 days and 30 days. */
export interface HistorySummary {
  /** When it was read (epoch ms). */
  readonly at: number;
  readonly day: ReadonlyMap<string, Rollup>;
  readonly week: ReadonlyMap<string, Rollup>;
  readonly month: ReadonlyMap<string, Rollup>;
}

export interface SummaryCache {
  /**
   * The summary: read at most once per `freshMs`; between `freshMs` and
   * `staleMs` the previous one is answered at once while a new read runs;
   * older (or none yet), the caller waits for the read. Concurrent callers
   * share one read. A failed read is not cached: the next call tries again.
   */
  get(): Promise<HistorySummary>;
  /**
   * The rollups changed (a compaction folded minutes): the summary held is
   * answered once more at once while a new read runs, as if it were stale.
   * Nothing is read when none is held (nobody asked yet).
   */
  changed(): void;
}

/**
 * Rollups change only when compaction folds a finished minute (every 30 s),
 * so the history part of GET /api/v1/checks need not be read per request: at
 * 10,000 checks that read is about a second of work, and fifty dashboards
 * opening at once must not do it fifty times.
 */
export function createSummaryCache(
  store: Store,
  options: { now?: () => number; freshMs?: number; staleMs?: number } = {},
): SummaryCache {
  const now = options.now ?? Date.now;
  const freshMs = options.freshMs ?? 30_000;
  const staleMs = options.staleMs ?? 5 * 60_000;
  let cached: HistorySummary | undefined;
  let reading: Promise<HistorySummary> | undefined;
  /** Set by changed(): the next get() refreshes whatever the age. */
  let outdated = false;

  async function read(): Promise<HistorySummary> {
    const t = now();
    const hour = RESOLUTIONS.hour;
    // 24 h from hourly rollups (with histograms, for p95); 7 d and 30 d from daily totals.
    const day = await store.summaries('hour', Math.floor((t - DAY) / hour) * hour, t + 1, { histograms: true });
    const week = await store.summaries('day', Math.floor((t - 7 * DAY) / DAY) * DAY, t + 1);
    const month = await store.summaries('day', Math.floor((t - 30 * DAY) / DAY) * DAY, t + 1);
    return { at: t, day, week, month };
  }

  function refresh(): Promise<HistorySummary> {
    // A read started now sees the rollups as they are now.
    if (reading === undefined) outdated = false;
    reading ??= read()
      .then(
        (summary) => {
          cached = summary;
          return summary;
        },
        (error: unknown) => {
          // What changed is still not read: the next call tries again.
          outdated = true;
          throw error;
        },
      )
      .finally(() => {
        reading = undefined;
      });
    return reading;
  }

  return {
    changed() {
      outdated = true;
    },
    get() {
      const age = cached === undefined ? Number.POSITIVE_INFINITY : now() - cached.at;
      if (cached !== undefined && outdated && age < staleMs) {
        refresh().catch(() => undefined);
        return Promise.resolve(cached);
      }
      if (cached !== undefined && age < freshMs) return Promise.resolve(cached);
      if (cached !== undefined && age < staleMs) {
        // Answered now; a failed background read is retried by the next call.
        refresh().catch(() => undefined);
        return Promise.resolve(cached);
      }
      return refresh();
    },
  };
}
