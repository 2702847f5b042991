import { setMaxListeners } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import type { ResolvedCheck } from '../config/resolved.js';
import { gridAnchor, slotJitter } from '../domain/slots.js';
import { DueHeap, type HeapItem } from './due-heap.js';
import { createRunPlanner } from './next-run.js';

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
/**
 * Runs launched in one turn of the event loop, at most; the rest of what is
 * due goes on in the next turn. 100,000 checks are all due at start: launched
 * in one go they held the loop for seconds, API and stores' callbacks waiting.
 */
export const LAUNCH_BATCH = 32;

export interface RunContext {
  /** When the run was planned (epoch ms, jitter included); compare with the actual start to see lag. */
  readonly scheduledAt: number;
  /** Aborted when the scheduler is stopped and the grace period is over. */
  readonly signal: AbortSignal;
  /** A cron run missed while the prober was down, caught up at start. */
  readonly catchUp: boolean;
}

export interface SchedulerDeps {
  readonly checks: readonly ResolvedCheck[];
  /** Runs one check. Must not reject; a rejection is reported through onError. */
  readonly run: (check: ResolvedCheck, context: RunContext) => Promise<void>;
  /** The previous run of the same check was still going (or queued): this one is skipped, never overlapped. */
  readonly onSkip?: (check: ResolvedCheck, scheduledAt: number) => void;
  readonly onError?: (check: ResolvedCheck, error: unknown) => void;
  readonly clock?: Clock;
  /** At most this many runs at once; the rest wait their turn, in order (default: no cap). */
  readonly concurrency?: number;
  /** For jitter; injectable so tests are exact. */
  readonly random?: () => number;
  /**
   * When each cron check's newest stored run was scheduled. A run planned
   * after that, and at most `missedRunWindowMs` before start, runs once at
   * start: the 08:00 check is not lost to a restart at 07:59.
   */
  readonly lastScheduled?: ReadonlyMap<string, number>;
  readonly missedRunWindowMs?: number;
  /**
   * Plan runs on a grid shared by every process (cluster members): an
   * `every` check runs at gridAnchor(name, interval) + k·interval, with no
   * run at start, and every run's jitter is slotJitter(name, planned) rather
   * than random. The same run then has the same scheduledAt on any member.
   */
  readonly grid?: boolean;
  /**
   * Asked when a run is due, for the time it was due (`at`, epoch ms: a timer
   * that fires late asks about the slot, not about the moment it woke up, so
   * two members never both take a slot next to a handover), and for a cron
   * catch-up at start (for now): false means another member runs it, so this
   * one launches nothing (not a skip) and plans the next run as usual. Runs in
   * flight are never cancelled by it.
   */
  readonly owns?: (check: string, at: number) => boolean;
}

export interface Scheduler {
  start(): void;
  /** Applies a new set of checks: added ones start, removed ones stop, changed ones restart. Runs in flight finish. */
  update(checks: readonly ResolvedCheck[]): { added: string[]; removed: string[]; changed: string[] };
  /**
   * Stops planning new runs and waits for the ones in flight, at most
   * `graceMs`; then cancels what is left through its AbortSignal.
   * Resolves to the number of runs that had to be cancelled.
   */
  stop(graceMs: number): Promise<number>;
  /** Runs of each check skipped because the previous one was still going. */
  readonly skipped: ReadonlyMap<string, number>;
  /** Runs waiting for a concurrency slot right now. */
  readonly queued: number;
}

interface Entry extends HeapItem {
  check: ResolvedCheck;
  anchor: number;
  /** The jitter in `due`: the run was planned at due - jitter (a small integer, where a time would be a boxed double). */
  jitter: number;
}

/**
 * Fires each check on its cron schedule or interval. `every` checks run once
 * right at start (on a grid: at their first grid slot). Pure timing math
 * lives in next-run.ts and domain/slots.ts; this holds timers.
 */
export function createScheduler(deps: SchedulerDeps): Scheduler {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const cap = deps.concurrency ?? Number.POSITIVE_INFINITY;
  const planner = createRunPlanner();
  const abort = new AbortController();
  // Every run in flight listens on this one signal; that is not a leak.
  setMaxListeners(0, abort.signal);
  const entries = new Map<string, Entry>();
  // Every check's next run, earliest first, and one timer for the earliest: not a timer per check.
  const heap = new DueHeap<Entry>();
  let timer: unknown;
  let timerAt = Number.POSITIVE_INFINITY;
  let draining = false;
  const inFlight = new Set<Promise<void>>();
  const busy = new Set<string>();
  const skipped = new Map<string, number>();
  const waiting: (() => void)[] = [];
  let active = 0;
  let stopped = false;
  let started = false;

  const jitter = (check: ResolvedCheck, planned: number) => {
    if (check.jitterMs <= 0) return 0;
    return deps.grid ? slotJitter(check.name, planned, check.jitterMs) : Math.floor(random() * check.jitterMs);
  };
  const owned = (check: ResolvedCheck, at: number) => deps.owns?.(check.name, at) ?? true;

  /** Queues the entry's next run at a planned time; `due` adds the check's jitter to it. */
  const arm = (entry: Entry, planned: number, due = planned + jitter(entry.check, planned)) => {
    if (stopped || entries.get(entry.check.name) !== entry) return;
    entry.jitter = due - planned;
    entry.due = due;
    heap.push(entry);
    if (!draining) wake();
  };

  /** Sets the one timer for the earliest due run, unless it is already set for then or sooner. */
  const wake = (ms?: number) => {
    const top = heap.peek();
    if (stopped || !top) return;
    const wait = ms ?? Math.min(Math.max(top.due - clock.now(), 0), MAX_TIMER_MS);
    const at = clock.now() + wait;
    if (timer !== undefined && timerAt <= at) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timerAt = at;
    timer = clock.setTimeout(drain, wait);
  };

  /** Fires what is due, LAUNCH_BATCH at most in this turn; the rest in the next one. */
  const drain = () => {
    timer = undefined;
    timerAt = Number.POSITIVE_INFINITY;
    draining = true;
    let fired = 0;
    try {
      for (let top = heap.peek(); top && !stopped; top = heap.peek()) {
        if (top.due > clock.now()) break;
        if (fired++ >= LAUNCH_BATCH) {
          draining = false;
          wake(0);
          return;
        }
        heap.pop();
        try {
          fire(top, top.due - top.jitter, top.due);
        } catch (error) {
          // One check's planning must not stop the others' (they share this timer): it is reported, not re-armed.
          deps.onError?.(top.check, error);
        }
      }
    } finally {
      draining = false;
    }
    wake();
  };

  const acquire = (): Promise<void> | undefined => {
    if (active < cap) {
      active += 1;
      return undefined;
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };

  const launch = (check: ResolvedCheck, scheduledAt: number, catchUp: boolean) => {
    if (busy.has(check.name)) {
      skipped.set(check.name, (skipped.get(check.name) ?? 0) + 1);
      deps.onSkip?.(check, scheduledAt);
      return;
    }
    busy.add(check.name);
    const run: Promise<void> = execute(check, scheduledAt, catchUp).then(() => {
      busy.delete(check.name);
      inFlight.delete(run);
    });
    inFlight.add(run);
  };

  /** One run: wait for a slot, run, release. Never rejects. */
  const execute = async (check: ResolvedCheck, scheduledAt: number, catchUp: boolean): Promise<void> => {
    const wait = acquire();
    if (wait) await wait;
    try {
      if (!abort.signal.aborted) await deps.run(check, { scheduledAt, signal: abort.signal, catchUp });
    } catch (error) {
      deps.onError?.(check, error);
    } finally {
      release();
    }
  };

  const fire = (entry: Entry, planned: number, due: number) => {
    if (stopped || entries.get(entry.check.name) !== entry) return;
    const now = clock.now();
    // Another member's run: nothing here, but the timer stays so this one can take over at any slot.
    if (owned(entry.check, due)) launch(entry.check, due, false);
    // Plan after the later of "planned" and "now" (less the jitter), so a late
    // wake-up never fires a missed slot twice.
    arm(entry, planner.next(entry.check.schedule, Math.max(planned, now - (due - planned)), entry.anchor));
  };

  const begin = (check: ResolvedCheck, now: number) => {
    const every = check.schedule.kind === 'every' ? check.schedule : undefined;
    const anchor = deps.grid && every ? gridAnchor(check.name, every.intervalMs) : now;
    const entry: Entry = { check, anchor, jitter: 0, due: 0, seq: 0, slot: -1 };
    entries.set(check.name, entry);
    if (check.schedule.kind === 'cron' && deps.lastScheduled && deps.missedRunWindowMs) {
      const last = deps.lastScheduled.get(check.name);
      const previous = planner.previous(check.schedule, now);
      const missed = last !== undefined && previous !== undefined && previous > last;
      if (missed && now - previous <= deps.missedRunWindowMs && owned(check, now)) launch(check, previous, true);
    }
    // Single node: an `every` check runs right at start. On a grid it waits for its first slot: a run
    // at start would carry a scheduledAt no other member shares, so the same run could be stored twice.
    const first = every && !deps.grid ? now : planner.next(check.schedule, now, entry.anchor);
    arm(entry, first);
  };

  const end = (name: string) => {
    const entry = entries.get(name);
    if (entry) heap.remove(entry);
    entries.delete(name);
  };

  return {
    skipped,
    get queued() {
      return waiting.length;
    },
    start() {
      if (started) return;
      started = true;
      const now = clock.now();
      for (const check of deps.checks) begin(check, now);
    },
    update(checks) {
      const now = clock.now();
      const next = new Map(checks.map((c) => [c.name, c]));
      const added: string[] = [];
      const removed: string[] = [];
      const changed: string[] = [];
      for (const name of [...entries.keys()]) {
        if (!next.has(name)) {
          end(name);
          removed.push(name);
        }
      }
      for (const check of checks) {
        const entry = entries.get(check.name);
        if (!entry) {
          begin(check, now);
          added.push(check.name);
        } else if (!isDeepStrictEqual(entry.check, check)) {
          end(check.name);
          begin(check, now);
          changed.push(check.name);
        }
      }
      return { added, removed, changed };
    },
    async stop(graceMs) {
      stopped = true;
      for (const name of [...entries.keys()]) end(name);
      heap.clear();
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
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
      // Runs still waiting for a slot are released so they see the abort and end.
      for (const next of waiting.splice(0)) next();
      await Promise.allSettled([...inFlight]);
      return cancelled;
    },
  };
}
