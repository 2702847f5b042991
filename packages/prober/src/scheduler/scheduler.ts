import type { ResolvedCheck } from '../config/resolved.js';
import { nextRunTime } from './next-run.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** setTimeout overflows past 2^31-1 ms (~24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RunContext {
  /** When the run was planned (epoch ms); compare with the actual start to see lag. */
  readonly scheduledAt: number;
  /** Aborted when the scheduler is stopped and the grace period is over. */
  readonly signal: AbortSignal;
}

export interface SchedulerDeps {
  readonly checks: readonly ResolvedCheck[];
  /** Runs one check. Must not reject; a rejection is reported through onError. */
  readonly run: (check: ResolvedCheck, context: RunContext) => Promise<void>;
  /** The previous run of the same check was still going: this one is skipped, never overlapped. */
  readonly onSkip?: (check: ResolvedCheck, scheduledAt: number) => void;
  readonly onError?: (check: ResolvedCheck, error: unknown) => void;
  readonly clock?: Clock;
}

export interface Scheduler {
  start(): void;
  /**
   * Stops planning new runs and waits for the ones in flight, at most
   * `graceMs`; then cancels what is left through its AbortSignal.
   * Resolves to the number of runs that had to be cancelled.
   */
  stop(graceMs: number): Promise<number>;
  /** Runs of each check skipped because the previous one was still going. */
  readonly skipped: ReadonlyMap<string, number>;
}

/** Fires each check on its cron schedule or interval. `every` checks run once right at start. */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const clock = deps.clock ?? systemClock;
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const running = new Set<string>();
  const timers = new Map<string, unknown>();
  const skipped = new Map<string, number>();
  let stopped = false;

  const arm = (check: ResolvedCheck, due: number, anchor: number) => {
    if (stopped) return;
    const wait = Math.min(Math.max(due - clock.now(), 0), MAX_TIMER_MS);
    timers.set(
      check.name,
      clock.setTimeout(() => fire(check, due, anchor), wait),
    );
  };

  const fire = (check: ResolvedCheck, due: number, anchor: number) => {
    if (stopped) return;
    const now = clock.now();
    if (now < due) {
      arm(check, due, anchor); // woke early: a capped long wait, or a clock that moved back
      return;
    }
    if (running.has(check.name)) {
      skipped.set(check.name, (skipped.get(check.name) ?? 0) + 1);
      deps.onSkip?.(check, due);
    } else {
      running.add(check.name);
      const run = deps
        .run(check, { scheduledAt: due, signal: abort.signal })
        .catch((error: unknown) => deps.onError?.(check, error))
        .finally(() => {
          running.delete(check.name);
          inFlight.delete(run);
        });
      inFlight.add(run);
    }
    // Plan from the later of "now" and "due", so a slow wake-up never fires a missed slot twice.
    arm(check, nextRunTime(check.schedule, Math.max(now, due), anchor), anchor);
  };

  return {
    skipped,
    start() {
      const startedAt = clock.now();
      for (const check of deps.checks) {
        const first = check.schedule.kind === 'every' ? startedAt : nextRunTime(check.schedule, startedAt, startedAt);
        arm(check, first, startedAt);
      }
    },
    async stop(graceMs) {
      stopped = true;
      for (const handle of timers.values()) clock.clearTimeout(handle);
      timers.clear();
      if (inFlight.size === 0) return 0;
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'timeout'>((resolve) => {
        graceTimer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const outcome = await Promise.race([Promise.allSettled([...inFlight]).then(() => 'done' as const), graceOver]);
      clearTimeout(graceTimer);
      if (outcome === 'done') return 0;
      const cancelled = inFlight.size;
      abort.abort();
      await Promise.allSettled([...inFlight]);
      return cancelled;
    },
  };
}
