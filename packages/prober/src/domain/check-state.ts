import type { CheckResult } from './result.js';

/**
 * What a check is doing now, as the dashboard and the API show it. PURE:
 * every time, and every planned run, comes from the caller.
 *
 * - `late`: a push check whose expected ping time has come and whose grace is
 *   still running (no verdict yet), or any check whose newest result is older
 *   than two planned runs and the time a run may take: the monitor has not
 *   been able to run it (stopped, overloaded, a cron with nothing due is not late).
 * - `maintenance`: the newest result ran in a maintenance window.
 * - `down`, `degraded`, `up`: the newest result's verdict.
 * - `unknown`: no result yet.
 */
export const CHECK_STATES = ['up', 'down', 'degraded', 'late', 'maintenance', 'unknown'] as const;
export type CheckState = (typeof CHECK_STATES)[number];

export interface StateFacts {
  /** The newest result of the check, if it has one. */
  readonly latest: CheckResult | undefined;
  /** Epoch ms. */
  readonly now: number;
  /** When the newest result stops being current (see overdueAt); undefined: never. */
  readonly overdueAt?: number | undefined;
  /**
   * Push checks: the expected run that no ping has decided yet, and when its
   * grace ends. Left out while the job said it started (it is running, not late).
   */
  readonly awaiting?: { readonly expectedAt: number; readonly deadline: number } | undefined;
}

export function checkState(facts: StateFacts): CheckState {
  const { latest, now, awaiting } = facts;
  if (awaiting && now >= awaiting.expectedAt && now < awaiting.deadline) return 'late';
  if (!latest) return 'unknown';
  if (facts.overdueAt !== undefined && now > facts.overdueAt) return 'late';
  if (latest.maintenance) return 'maintenance';
  if (!latest.ok) return 'down';
  return latest.degraded ? 'degraded' : 'up';
}

/**
 * When a result taken at `resultTime` is overdue: once the second planned run
 * after it, plus `slackMs` (the check's timeout and jitter), has passed, two
 * runs that should have produced a newer result did not. For `every` that is
 * twice the interval plus the slack; for cron it follows the calendar, so a
 * weekday-only schedule is not late over the weekend. `nextRun(after)` is the
 * first planned run strictly after `after`, or undefined when there is none.
 *
 * @example overdueAt(0, 1_000, (t) => t + 60_000) // 121_000
 */
export function overdueAt(
  resultTime: number,
  slackMs: number,
  nextRun: (after: number) => number | undefined,
): number | undefined {
  const first = nextRun(resultTime);
  const second = first === undefined ? undefined : nextRun(first);
  return second === undefined ? undefined : second + slackMs;
}
