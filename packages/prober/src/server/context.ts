import type { Health } from '@lifeline/health';
import type { FiringAlert } from '../alerting/engine.js';
import type { PushRoute } from '../cluster/monitor-cluster.js';
import type { ClusterView } from '../cluster/view.js';
import type { ResolvedCheck, ResolvedStatusPage, ServerAuth } from '../config/resolved.js';
import type { CheckState } from '../domain/check-state.js';
import type { CheckResult } from '../domain/result.js';
import type { PushSink } from '../push/types.js';
import type { AlertStore, Store } from '../store/store.js';
import { ApiError } from './errors.js';
import type { EventHub } from './events.js';
import type { Metrics } from './metrics.js';
import type { PushForwarder } from './push-forward.js';
import type { PushLimiter } from './push-limiter.js';
import { quote } from './request.js';
import { createStateReader, type PushExpectations } from './state.js';
import type { Ui } from './static.js';
import { createSummaryCache, type SummaryCache } from './summary-cache.js';

export interface ApiDeps {
  /** The running config's checks (changes on reload). */
  readonly checks: () => readonly ResolvedCheck[];
  /** Newest result of each check seen by this process. */
  readonly latest: () => ReadonlyMap<string, CheckResult>;
  readonly store?: Store;
  /** Open incidents (the engine's memory) and where incidents and notifications are kept. */
  readonly alerts?: { firing(): FiringAlert[]; readonly store: AlertStore };
  readonly metrics: Metrics;
  /**
   * Pings of push checks (POST/GET /api/v1/push/{check}); without it those routes are 404.
   * `nextExpected`, when the sink has it, gives the checks routes the exact next expected
   * run of a push check (the `every` grid's anchor is the monitor's start, which only the
   * monitor knows); without it `nextExpectedAt` of an `every` check is approximate.
   * `open` (else `nextExpected` and the grace) puts a push check whose ping is overdue in state `late`.
   */
  readonly push?: PushSink & PushExpectations;
  /**
   * Several monitors (issue #13): where a push check's pings go, this member or its owner
   * (cluster/monitor-cluster.ts); without it every ping is taken here.
   */
  readonly pushRoute?: (check: string) => PushRoute;
  /** Passes pings on to their owner (with pushRoute; the composition root makes and closes it). */
  readonly pushForwarder?: PushForwarder;
  /** Rate limiter of the push routes; createApi makes one (per createApi) when not given. Tests pass theirs to watch it. */
  readonly pushLimiter?: PushLimiter;
  /** How long a push request body may take to arrive (default 10 s): then 408 and the connection closed. */
  readonly pushBodyTimeoutMs?: number;
  /** The monitor's base URL as clients reach it (alerting.externalUrl): makes `pushUrl` absolute. */
  readonly externalUrl?: string;
  readonly health: Health;
  /** The running config's `statusPage` (changes on reload); without one /status is a 404. */
  readonly statusPage?: () => ResolvedStatusPage | undefined;
  /** What this monitor knows of its cluster (GET /api/v1/cluster), read per request; without it that route is 404. */
  readonly cluster?: () => ClusterView;
  /** Live events (GET /api/v1/events); without it that route is 404. */
  readonly events?: EventHub;
  /**
   * The history summary of the list of checks (summary-cache.ts), made by the composition
   * root so that compaction can say when the rollups changed and the start can read it
   * ahead of the first visitor; without it the API makes its own.
   */
  readonly summaries?: SummaryCache;
  /** `server.auth`: without it the API and /metrics are open. */
  readonly auth?: ServerAuth;
  /** The dashboard's files (static.ts loadUi): `/`, `/checks/*` and `/assets/*`, public. Without it those paths are 404. */
  readonly ui?: Ui;
  /** How long a history read may take before the API answers 503 (default 5 s). */
  readonly historyTimeoutMs?: number;
  readonly now?: () => number;
}

/** What every route needs: the deps, the check lookup, and bounded reads of the history. */
export interface RouteContext {
  readonly deps: ApiDeps;
  readonly now: () => number;
  /** The configured check, or a 404. */
  find(name: string): ResolvedCheck;
  /** The check's state now, from its newest result, its schedule and (push) the run it waits for. */
  state(check: ResolvedCheck, latest: CheckResult | undefined): CheckState;
  /**
   * Reads the stored history. Whatever goes wrong in the store (an error, or
   * no answer within historyTimeoutMs) becomes a 503 `history_unavailable`;
   * without a store it is a 503 `no_store`.
   */
  history<T>(read: (store: Store) => Promise<T>): Promise<T>;
  /** The history summary of every check (one cache per API, see summary-cache.ts); use inside history(). */
  summaries(store: Store): SummaryCache;
  /** Reads incidents or notifications, bounded like history(); a 503 `no_alerting` without alerting. */
  alertHistory<T>(read: (store: AlertStore) => Promise<T>): Promise<T>;
}

export const DEFAULT_HISTORY_TIMEOUT_MS = 5_000;

class HistoryTimeout extends Error {}

function reason(error: unknown): string {
  if (error instanceof HistoryTimeout) return error.message;
  const e = error as { code?: unknown; message?: unknown } | undefined;
  const text = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  return `it failed: ${typeof e?.code === 'string' && !text.includes(e.code) ? `${e.code} ` : ''}${text.slice(0, 200)}`;
}

export function createContext(deps: ApiDeps): RouteContext {
  const timeoutMs = deps.historyTimeoutMs ?? DEFAULT_HISTORY_TIMEOUT_MS;
  let summaries: { store: Store; cache: SummaryCache } | undefined;
  const now = deps.now ?? Date.now;
  const readState = createStateReader(deps.push);
  return {
    deps,
    now,
    state: (check, latest) => readState(check, latest, now()),
    find(name) {
      const check = deps.checks().find((c) => c.name === name);
      if (!check) throw new ApiError('not_found', `no check named ${quote(name)}`);
      return check;
    },
    history(read) {
      const store = deps.store;
      if (!store) throw new ApiError('no_store', 'this monitor runs with storage: none, so it keeps no history');
      return bounded(() => read(store));
    },
    summaries(store) {
      if (summaries?.store !== store)
        summaries = { store, cache: deps.summaries ?? createSummaryCache(store, { now }) };
      return summaries.cache;
    },
    alertHistory(read) {
      const alerts = deps.alerts;
      if (!alerts) throw new ApiError('no_store', 'this server does not track alerts');
      return bounded(() => read(alerts.store));
    },
  };

  async function bounded<T>(read: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HistoryTimeout(`the store did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      // A read abandoned at the timeout settles later into the race, which ignores it.
      return await Promise.race([read(), timeout]);
    } catch (error) {
      throw new ApiError('history_unavailable', `the stored history is unavailable: ${reason(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
