import type { Logger } from 'pino';
import type { ResolvedCheck } from '../config/resolved.js';
import {
  accepts,
  earlyTolerance,
  NO_PINGS,
  type Slot,
  type SlotPings,
  slotResult,
  verdict,
  withPing,
} from '../domain/heartbeat.js';
import type { CheckResult } from '../domain/result.js';
import { gridAnchor } from '../domain/slots.js';
import { createRunPlanner } from '../scheduler/next-run.js';
import { type Clock, createScheduler, systemClock } from '../scheduler/scheduler.js';
import type { Ping, PingOutcome, PushSink } from './types.js';

/** Pings kept per check while no expected run is open (they may count for the next one). */
export const MAX_EARLY_PINGS = 4;

export interface PushMonitorDeps {
  /** The push checks of the running config. */
  readonly checks: readonly ResolvedCheck[];
  readonly logger: Logger;
  /** Each decided expected run: stored, logged and alerted on like a probe's result. */
  readonly onResult: (result: CheckResult, catchUp: boolean) => void;
  /** A result a CronJob reported (`check --once --report`), under its own check's name. */
  readonly onReported: (result: CheckResult) => void;
  readonly clock?: Clock;
  /** When each cron push check's newest stored run was expected: a run due while the monitor was down is decided at start. */
  readonly lastScheduled?: ReadonlyMap<string, number>;
  /** How far back such a run may lie (the scheduler's missedRunWindow); each check's grace is added. */
  readonly missedRunWindowMs?: number;
  /**
   * Several monitors share one PostgreSQL (issue #13): expected runs sit on the shared slot
   * grid (domain/slots.ts), so every member expects the same runs, and only the check's
   * owner opens them (pings reach it: routes/push.ts passes them on).
   */
  readonly grid?: boolean;
  readonly owns?: (check: string, at: number) => boolean;
}

export interface OpenRun {
  readonly scheduledAt: number;
  /** The job said it started and has not said it ended. */
  readonly running: boolean;
  /** When the run is decided if no ping comes. */
  readonly deadline: number;
}

export interface PushMonitor extends PushSink {
  start(): void;
  update(checks: readonly ResolvedCheck[]): { added: string[]; removed: string[]; changed: string[] };
  /** Stops at once: open runs stay undecided (a restart decides them from the store). */
  stop(): Promise<void>;
  /** The run waiting for pings now, if any. */
  open(check: string): OpenRun | undefined;
  /** The expected run a ping now would count for: the open one, else the next planned (epoch ms). */
  nextExpected(check: string): number | undefined;
}

interface Pending {
  slot: Slot;
  pings: SlotPings;
  /** Called when the pings change, to look at the verdict again. */
  wake: () => void;
}

/**
 * Push checks: a scheduler of their own (no concurrency cap: an open run only
 * waits) opens one expected run per planned time; pings decide it, or its
 * deadline does. Built on the same planner as probes, so cron time zones,
 * DST and the run missed during a restart behave the same.
 */
export function createPushMonitor(deps: PushMonitorDeps): PushMonitor {
  const clock = deps.clock ?? systemClock;
  const planner = createRunPlanner();
  let checks = new Map(deps.checks.map((c) => [c.name, c]));
  const pending = new Map<string, Pending>();
  const early = new Map<string, { kind: Ping['kind']; ping: Ping }[]>();
  /** `every` checks whose first planned run is the start itself: skipped (the job's phase is unknown). */
  const skipFirst = new Set<string>();

  const settings = (check: ResolvedCheck) => {
    if (!check.push) throw new Error(`bug: ${check.name} is not a push check`);
    return check.push;
  };

  const slotOf = (check: ResolvedCheck, scheduledAt: number): Slot => {
    const push = settings(check);
    const every = check.schedule.kind === 'every';
    const gap =
      check.schedule.kind === 'every'
        ? check.schedule.intervalMs
        : scheduledAt - (planner.previous(check.schedule, scheduledAt - 1) ?? scheduledAt - push.graceMs * 2);
    return {
      scheduledAt,
      earlyMs: earlyTolerance(push.graceMs, gap, every),
      graceMs: push.graceMs,
      maxRunTimeMs: push.maxRunTimeMs,
    };
  };

  /**
   * Deadlines falling on the same instant share one timer: every slot due then is
   * decided in one callback, so their results are recorded in one turn of the
   * event loop (and their alert changes written in one store transaction, not
   * one each). Checks on one grid (`every` anchored at the start, the same cron)
   * all have the same deadline. Returns the cancel.
   */
  const due = new Map<number, { looks: Set<() => void>; timer: unknown }>();
  const wakeAt = (at: number, look: () => void): (() => void) => {
    let entry = due.get(at);
    if (!entry) {
      const looks = new Set<() => void>();
      const timer = clock.setTimeout(
        () => {
          if (due.get(at)?.looks === looks) due.delete(at);
          for (const fn of looks) fn();
        },
        Math.min(2 ** 31 - 1, Math.max(0, at - clock.now())),
      );
      entry = { looks, timer };
      due.set(at, entry);
    }
    const { looks, timer } = entry;
    looks.add(look);
    return () => {
      looks.delete(look);
      if (looks.size === 0 && due.get(at)?.looks === looks) {
        clock.clearTimeout(timer);
        due.delete(at);
      }
    };
  };

  /** Waits for pings or the deadline; undefined when the monitor stops first. */
  const decide = (check: ResolvedCheck, scheduledAt: number, signal: AbortSignal): Promise<CheckResult | undefined> => {
    const slot = slotOf(check, scheduledAt);
    let pings = NO_PINGS;
    for (const { kind, ping } of early.get(check.name)?.splice(0) ?? []) {
      if (accepts(slot, pings, ping.time)) pings = withPing(pings, kind, ping);
    }
    return new Promise((resolve) => {
      let cancel = () => {};
      const entry: Pending = { slot, pings, wake: () => look() };
      const finish = (result: CheckResult | undefined) => {
        cancel();
        signal.removeEventListener('abort', onAbort);
        if (pending.get(check.name) === entry) pending.delete(check.name);
        resolve(result);
      };
      const onAbort = () => finish(undefined);
      const look = () => {
        cancel();
        const v = verdict(slot, entry.pings, clock.now());
        if (v.kind !== 'pending') return finish(slotResult(check, slot, v));
        cancel = wakeAt(v.until, look);
      };
      if (signal.aborted) return resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      pending.set(check.name, entry);
      look();
    });
  };

  const scheduler = createScheduler({
    checks: deps.checks,
    clock,
    ...(deps.lastScheduled ? { lastScheduled: deps.lastScheduled } : {}),
    missedRunWindowMs:
      (deps.missedRunWindowMs ?? 0) + deps.checks.reduce((m, c) => Math.max(m, c.push?.graceMs ?? 0), 0),
    ...(deps.grid ? { grid: true } : {}),
    ...(deps.owns ? { owns: deps.owns } : {}),
    run: async (check, context) => {
      if (skipFirst.delete(check.name) && check.schedule.kind === 'every') return;
      const result = await decide(check, context.scheduledAt, context.signal);
      if (result) deps.onResult(result, context.catchUp);
    },
    onError: (check, error) => deps.logger.error({ check: check.name, err: error }, `push check ${check.name} crashed`),
  });

  const outcomeOf = (entry: Pending, scheduledAt: number): PingOutcome => {
    const v = verdict(entry.slot, entry.pings, clock.now());
    const state = v.kind === 'failed' ? 'failed' : v.kind === 'pending' && v.running ? 'running' : 'up';
    return { accepted: true, scheduledAt, state };
  };

  const ping = (name: string, received: Ping): PingOutcome => {
    const check = checks.get(name);
    if (!check?.push) return { accepted: false, reason: `no push check named ${name}` };
    const open = pending.get(name);
    if (open && accepts(open.slot, open.pings, received.time)) {
      open.pings = withPing(open.pings, received.kind, received);
      const outcome = outcomeOf(open, open.slot.scheduledAt);
      open.wake();
      return outcome;
    }
    // No run open that takes it: it may be early for the next one.
    const next = planner.next(check.schedule, received.time, scheduledAnchor(check, received.time));
    const slot = slotOf(check, next);
    if (accepts(slot, NO_PINGS, received.time)) {
      const kept = early.get(name) ?? [];
      kept.push({ kind: received.kind, ping: received });
      early.set(name, kept.slice(-MAX_EARLY_PINGS));
      return {
        accepted: true,
        scheduledAt: next,
        state: received.kind === 'fail' ? 'failed' : received.kind === 'start' ? 'running' : 'up',
      };
    }
    const reason = open
      ? `the run expected at ${new Date(open.slot.scheduledAt).toISOString()} is already decided`
      : `too late for the last expected run and too early for the next, at ${new Date(next).toISOString()}`;
    deps.logger.warn({ check: name, kind: received.kind }, `push check ${name}: a ping was not counted (${reason})`);
    return { accepted: false, reason };
  };

  /**
   * `every` grids start when the check was scheduled (on the shared grid: at the check's
   * fixed anchor, with no run at the start to skip); before a run is open the next
   * planned time is all that matters.
   */
  const anchors = new Map<string, number>();
  const scheduledAnchor = (check: ResolvedCheck, fallback: number) =>
    deps.grid && check.schedule.kind === 'every'
      ? gridAnchor(check.name, check.schedule.intervalMs)
      : (anchors.get(check.name) ?? fallback);
  const markStart = (names: Iterable<string>) => {
    const now = clock.now();
    for (const name of names) {
      anchors.set(name, now);
      const check = checks.get(name);
      if (check?.schedule.kind === 'every' && !deps.grid) skipFirst.add(name);
      early.delete(name);
    }
  };

  return {
    start() {
      markStart(checks.keys());
      scheduler.start();
    },
    update(next) {
      checks = new Map(next.map((c) => [c.name, c]));
      const diff = scheduler.update(next);
      for (const name of diff.removed) {
        anchors.delete(name);
        early.delete(name);
        skipFirst.delete(name);
      }
      markStart([...diff.added, ...diff.changed]);
      return diff;
    },
    async stop() {
      await scheduler.stop(0);
    },
    open(name) {
      const entry = pending.get(name);
      if (!entry) return undefined;
      const v = verdict(entry.slot, entry.pings, clock.now());
      return {
        scheduledAt: entry.slot.scheduledAt,
        running: v.kind === 'pending' && v.running,
        deadline: v.kind === 'pending' ? v.until : clock.now(),
      };
    },
    nextExpected(name) {
      const open = pending.get(name);
      if (open) return open.slot.scheduledAt;
      const check = checks.get(name);
      if (!check) return undefined;
      const now = clock.now();
      // Strictly after now: for an `every` check that is never its start (whose run is skipped).
      return planner.next(check.schedule, now, scheduledAnchor(check, now));
    },
    ping,
    report(name, results, time) {
      for (const result of results) deps.onReported(result);
      const failed = results.filter((r) => !r.ok);
      const body =
        failed.length === 0
          ? ''
          : `${failed.length} of ${results.length} check(s) failed: ${failed
              .map((r) => `${r.check}: ${r.error?.code ?? 'failed'}${r.error?.message ? ` ${r.error.message}` : ''}`)
              .join('; ')}`;
      return ping(name, { kind: failed.length === 0 ? 'success' : 'fail', time, body: body.slice(0, 10_240) });
    },
  };
}
