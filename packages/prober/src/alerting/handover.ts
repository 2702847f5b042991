import type { Logger } from 'pino';
import type { ResolvedCheck } from '../config/resolved.js';
import { durablePart, initialAlertState, restoreAlertState } from '../domain/alert-policy.js';
import type { AlertState } from '../domain/alerts.js';
import type { CheckResult } from '../domain/result.js';
import type { AlertStore } from '../store/store.js';
import type { AlertWriter } from './alert-writer.js';

/** Stored results as the alert policy counts them. */
export const counted = (rows: readonly CheckResult[]) =>
  rows.map((r) => ({ time: Date.parse(r.time), ok: r.ok, error: r.error ?? null }));

/** Results that rebuild a check's counters: one more than its larger threshold. */
export const depth = (check: ResolvedCheck) =>
  Math.max(check.alerts.failureThreshold, check.alerts.successThreshold) + 1;

export interface HandoverDeps {
  readonly store: AlertStore;
  readonly writer: AlertWriter;
  readonly logger: Logger;
  readonly recent?: (check: string, limit: number) => Promise<readonly CheckResult[]>;
  readonly now: () => number;
  readonly checkNamed: (name: string) => ResolvedCheck | undefined;
  /** An adopted check's state as stored, then the results that waited for it (in order, none counted twice). */
  readonly settle: (check: ResolvedCheck, state: AlertState, waited: readonly CheckResult[]) => void;
}

/** Which checks this cluster member is taking over or has handed over, for the alert engine. */
export interface Handover {
  adopt(names: readonly string[]): Promise<void>;
  /** The engine drops their state; from here on their results are not evaluated on this member. */
  release(names: readonly string[]): void;
  /** True when the result is not this member's to evaluate now: queued for an adoption, or released. */
  holds(check: ResolvedCheck, result: CheckResult): boolean;
  /** Tries the adoptions whose read failed again (the engine's tick). */
  retry(): void;
  /** A reload removed the check; true when another member owns it (that one tells its receivers). */
  removed(name: string): boolean;
}

/** A check being taken over: its results wait here until its stored state is read. */
interface Adoption {
  /** Which adopt() call may settle it (a later adopt or a release supersedes an earlier one). */
  token: number;
  readonly queue: CheckResult[];
}

/**
 * Moves a check's alerting between members without losing or repeating
 * anything: the new owner starts from the stored state (what the old owner
 * wrote, with its notifications, in one transaction), and results it sees
 * before that read are held, bounded, and applied after.
 */
export function createHandover(deps: HandoverDeps): Handover {
  const adopting = new Map<string, Adoption>();
  const released = new Set<string>();
  /** Adoptions whose read failed: tried again at the next retry(). */
  const stalled = new Set<string>();
  let tokens = 0;
  let retrying = false;
  let failing = false;

  /** Reads the stored state of the checks this adopt() call still stands for, and settles each. */
  const takeOver = async (mine: ReadonlyMap<string, number>) => {
    const current = (name: string) => adopting.get(name)?.token === mine.get(name);
    try {
      // A check adopted again without a release: our own changes not written yet must be in what is read.
      await deps.writer.flush();
      const stored = await deps.store.alertStates();
      for (const name of mine.keys()) {
        const check = deps.checkNamed(name);
        if (!check && current(name)) adopting.delete(name);
        if (!check || !current(name)) continue;
        const durable = stored.get(name) ?? durablePart(initialAlertState(name, deps.now()));
        const rows = deps.recent ? await deps.recent(name, depth(check)) : [];
        const adoption = adopting.get(name);
        if (!adoption || !current(name)) continue; // released or adopted again while reading
        adopting.delete(name);
        // A result stored before the read is in the counters already.
        const newest = rows[0] ? Date.parse(rows[0].time) : Number.NEGATIVE_INFINITY;
        const waited = adoption.queue.filter((r) => Date.parse(r.time) > newest);
        deps.settle(check, restoreAlertState(durable, counted(rows)), waited);
      }
      if (failing) deps.logger.info('alert: reading the state of adopted checks works again');
      failing = false;
    } catch (error) {
      const left = [...mine.keys()].filter(current);
      for (const name of left) stalled.add(name);
      if (!failing)
        deps.logger.error(
          { err: error, checks: left.length },
          `alert: reading the stored state of ${left.length} adopted check(s) failed; their results wait, retried at the next tick`,
        );
      failing = true;
    }
  };

  const adopt = (names: readonly string[]): Promise<void> => {
    const mine = new Map<string, number>();
    for (const name of names) {
      released.delete(name);
      stalled.delete(name);
      const token = ++tokens;
      const pending = adopting.get(name);
      if (pending) pending.token = token;
      else adopting.set(name, { token, queue: [] });
      mine.set(name, token);
    }
    return mine.size > 0 ? takeOver(mine) : Promise.resolve();
  };

  return {
    adopt,
    release(names) {
      for (const name of names) {
        adopting.delete(name);
        stalled.delete(name);
        released.add(name);
      }
      // Our changes still queued (a lazy failure count) go out now, not after the new owner's first own change.
      if (names.length > 0) void deps.writer.flush();
    },
    holds(check, result) {
      if (released.has(check.name)) return true;
      const adoption = adopting.get(check.name);
      if (!adoption) return false;
      adoption.queue.push(result);
      // The newest results decide the counters; older ones past that would only add to a failure count.
      if (adoption.queue.length > depth(check)) adoption.queue.shift();
      return true;
    },
    retry() {
      if (stalled.size === 0 || retrying) return;
      retrying = true;
      void adopt([...stalled]).finally(() => {
        retrying = false;
      });
    },
    removed(name) {
      adopting.delete(name);
      stalled.delete(name);
      return released.delete(name);
    },
  };
}
