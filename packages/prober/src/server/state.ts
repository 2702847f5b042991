import type { ResolvedCheck } from '../config/resolved.js';
import { type CheckState, checkState, overdueAt } from '../domain/check-state.js';
import type { CheckResult } from '../domain/result.js';
import { createRunTimeline } from '../scheduler/run-timeline.js';

/** What the state needs to know of the push checks' expected runs (the PushMonitor has both). */
export interface PushExpectations {
  /** The expected run a ping now would count for: the open one, else the next planned (epoch ms). */
  nextExpected?(check: string): number | undefined;
  /** The run waiting for pings now: when it was expected, whether the job said it started, when it is decided. */
  open?(
    check: string,
  ): { readonly scheduledAt: number; readonly running: boolean; readonly deadline: number } | undefined;
}

/** The state of a check given its newest result, at `now`. */
export type StateReader = (check: ResolvedCheck, latest: CheckResult | undefined, now: number) => CheckState;

/**
 * Feeds domain/check-state.ts from the config and the planned runs: when the
 * newest result is overdue (its second planned run after it, plus the
 * timeout, jitter and, for push checks, maxRunTime), and which expected push
 * run waits for a ping. Cron runs come from a timeline shared by the checks
 * of each pattern, so reading 10,000 states costs binary searches, not
 * croner steps (about 0.1 ms each).
 */
export function createStateReader(push?: PushExpectations): StateReader {
  const timeline = createRunTimeline();
  return (check, latest, now) => {
    const nextRun = (after: number) => timeline.twoAfter(check.schedule, after)?.[0];
    const slack = check.timeoutMs + check.jitterMs + (check.push?.maxRunTimeMs ?? 0);
    return checkState({
      latest,
      now,
      overdueAt: latest ? overdueAt(Date.parse(latest.time), slack, nextRun) : undefined,
      awaiting: awaiting(check, push),
    });
  };
}

/** The push run waiting for a ping; none while the job runs (it said it started). */
function awaiting(check: ResolvedCheck, push: PushExpectations | undefined) {
  if (check.kind !== 'push' || !check.push || !push) return undefined;
  if (push.open) {
    // No open run: the next one lies ahead (cheaper than asking nextExpected, which may do cron math).
    const run = push.open(check.name);
    return run && !run.running ? { expectedAt: run.scheduledAt, deadline: run.deadline } : undefined;
  }
  const expectedAt = push.nextExpected?.(check.name);
  return expectedAt === undefined ? undefined : { expectedAt, deadline: expectedAt + check.push.graceMs };
}

/**
 * The state of the check a fresh result belongs to, for the live events:
 * the checks are looked up by name in a map rebuilt only when the config's
 * list changes (a reload), not on every result.
 */
export function resultStates(
  checks: () => readonly ResolvedCheck[],
  read: StateReader,
  now: () => number = Date.now,
): (result: CheckResult) => CheckState {
  let list: readonly ResolvedCheck[] | undefined;
  let byName = new Map<string, ResolvedCheck>();
  return (result) => {
    const current = checks();
    if (current !== list) {
      list = current;
      byName = new Map(current.map((c) => [c.name, c]));
    }
    const check = byName.get(result.check);
    return check ? read(check, result, now()) : checkState({ latest: result, now: now() });
  };
}
