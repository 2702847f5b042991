import type { Logger } from 'pino';
import type { CheckResult } from '../domain/result.js';
import type { Clock } from '../scheduler/scheduler.js';
import { systemClock } from '../scheduler/scheduler.js';

export interface PeerResultsDeps {
  /** The newest stored result of every check whose newest started at or after `since` (Store.latest). */
  readonly read: (since: number) => Promise<ReadonlyMap<string, CheckResult>>;
  /**
   * How long after it started a result may be stored (the longest check timeout
   * and the write delay): each read goes back this far before the newest result
   * the last one saw, so a slow run stored late is not missed.
   */
  readonly marginMs: () => number;
  /** Whether this member runs the check (its own results reach it directly). */
  readonly owns: (check: string) => boolean;
  /** The newest result this member knows of a check. */
  readonly known: (check: string) => CheckResult | undefined;
  readonly configured: (check: string) => boolean;
  /** A newer result of a check another member runs: shown by the API, the metrics and the live events. */
  readonly onResult: (result: CheckResult) => void;
  readonly everyMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface PeerResults {
  start(): void;
  /** Stops the timer; a read in flight is left to end (the store's close cuts it) and applies nothing. */
  stop(): Promise<void>;
  /** One read now (also what the timer does); resolves when it is applied, never rejects. */
  refresh(): Promise<void>;
}

/**
 * The results other members store (issue #13): a Service sends a dashboard
 * or a Prometheus scrape to any member, and each must show every check as it
 * stands, not only those it runs. Every `everyMs` the newest stored result of
 * each check is read once (one statement), of the checks whose newest result
 * started since the last read's newest (less a margin for runs stored late);
 * a check another member runs whose stored result is newer than the one known
 * here is passed on. One read at a
 * time; a failing read is logged once per change of state.
 */
export function createPeerResults(deps: PeerResultsDeps): PeerResults {
  const clock = deps.clock ?? systemClock;
  let timer: unknown;
  let stopped = true;
  let inFlight: Promise<void> | undefined;
  let failing = false;
  /** The start of the newest result any read returned (epoch ms). */
  let newest = 0;

  const apply = (stored: ReadonlyMap<string, CheckResult>) => {
    for (const [name, result] of stored) {
      newest = Math.max(newest, Date.parse(result.time));
      if (!deps.configured(name) || deps.owns(name)) continue;
      const known = deps.known(name);
      if (known === undefined || Date.parse(result.time) > Date.parse(known.time)) deps.onResult(result);
    }
  };

  const refresh = (): Promise<void> =>
    (inFlight ??= (async () => {
      try {
        const stored = await deps.read(Math.max(0, newest - deps.marginMs()));
        if (stopped) return;
        apply(stored);
        if (failing) deps.logger.info('cluster: reading the other members’ results works again');
        failing = false;
      } catch (error) {
        if (stopped) return;
        if (!failing) {
          deps.logger.warn(
            { err: error },
            'cluster: reading the other members’ results failed; the API shows the checks they run as of the last read',
          );
        }
        failing = true;
      } finally {
        inFlight = undefined;
      }
    })());

  const arm = () => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      void refresh().then(arm);
    }, deps.everyMs);
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      arm();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
    },
    refresh,
  };
}
