import type { Clock } from '../scheduler/scheduler.js';

/** setTimeout overflows past 2^31-1 ms; a longer wait just wakes early and re-arms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * This member's estimate of the database clock, and its own lease in local
 * time. Leases are written in database time so that members with skewed
 * clocks agree on when one ends; each member only needs the offset between
 * its clock and the database's, which every snapshot gives again.
 */
export interface LeaseClock {
  /** A snapshot's `now` read by a call that started at local t0 and returned at local t1. */
  observe(dbNow: number, t0: number, t1: number): void;
  /** The lease now ends at `expiresAt` (database time), as granted by the call that started at local t0 and read `dbNow`. */
  grant(expiresAt: number, dbNow: number, t0: number): void;
  /** No lease any more (expelled, stopped). */
  revoke(): void;
  /** Estimated database time now. */
  dbNow(): number;
  /** The local time at which the database clock reads `dbTime`. */
  toLocal(dbTime: number): number;
  /** The lease holds now, by the local clock alone: no database needed to notice a lapse. */
  valid(): boolean;
  /** Local time at which the lease lapses; undefined without a lease. */
  readonly lapsesAt: number | undefined;
}

export function createLeaseClock(clock: Clock): LeaseClock {
  let offset = 0;
  let lapsesAt: number | undefined;
  return {
    observe(dbNow, t0, t1) {
      // The database read its clock somewhere during the call: the middle is the best single guess.
      offset = dbNow - (t0 + t1) / 2;
    },
    grant(expiresAt, dbNow, t0) {
      // The lease was written no earlier than t0, so it runs for (expiresAt - dbNow) from t0 at the
      // latest: a slow call can only make this member give its checks up early, never hold them late.
      lapsesAt = t0 + (expiresAt - dbNow);
    },
    revoke() {
      lapsesAt = undefined;
    },
    dbNow: () => clock.now() + offset,
    toLocal: (dbTime) => dbTime - offset,
    valid: () => lapsesAt !== undefined && clock.now() < lapsesAt,
    get lapsesAt() {
      return lapsesAt;
    },
  };
}

/** One re-armable timer on the injected clock; unref'd when the clock hands back a Node timer, so it never holds the process. */
export interface Timer {
  /** Fires `fn` at local time `at` (replacing any earlier arming). */
  armAt(at: number, fn: () => void): void;
  clear(): void;
}

export function createTimer(clock: Clock): Timer {
  let handle: unknown;
  const clear = () => {
    if (handle !== undefined) clock.clearTimeout(handle);
    handle = undefined;
  };
  return {
    armAt(at, fn) {
      clear();
      const wait = Math.min(Math.max(Math.ceil(at - clock.now()), 0), MAX_TIMER_MS);
      handle = clock.setTimeout(() => {
        handle = undefined;
        fn();
      }, wait);
      (handle as { unref?: () => void } | null)?.unref?.();
    },
    clear,
  };
}
