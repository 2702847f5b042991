import type { CheckResult } from '../domain/result.js';

/** Results one report (`check --once --report`) carries at most; past it the CLI sends only the heartbeat. */
export const REPORT_MAX_RESULTS = 100;

/** What a job says: it finished well (plain ping), it started, or it failed. */
export type PingKind = 'success' | 'start' | 'fail';

export interface Ping {
  readonly kind: PingKind;
  /** When the monitor received it, epoch ms. */
  readonly time: number;
  /** The first 10 KB of the request body (UTF-8, control characters but \n and \t removed), or ''. */
  readonly body: string;
}

/** How the monitor took a ping. */
export type PingOutcome =
  /** Counted for the expected run at `scheduledAt` (epoch ms): that run's result is `up`, `failed`, or still `running`. */
  | { readonly accepted: true; readonly scheduledAt: number; readonly state: 'up' | 'failed' | 'running' }
  /**
   * Too late for any expected run (its grace had passed, and the next is not
   * due yet) or the run was already decided: logged, nothing stored.
   */
  | { readonly accepted: false; readonly reason: string };

/**
 * The monitor's side of push checks, as the HTTP routes see it. The routes
 * authenticate (the check's token), bound the body, rate-limit and parse;
 * this decides which expected run a ping belongs to.
 */
export interface PushSink {
  /** A ping to a configured push check (the route has checked that it is one). */
  ping(check: string, ping: Ping): PingOutcome;
  /**
   * `lifeline check --once --report`: the CronJob's results, stored as results
   * of their own checks, and the run counted as a `success` (all passed) or
   * `fail` ping of the push check.
   */
  report(check: string, results: readonly CheckResult[], time: number): PingOutcome;
}
