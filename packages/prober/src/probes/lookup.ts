/**
 * Name lookups that a slow resolver cannot pile up. `dns.lookup` is
 * getaddrinfo on libuv's threadpool (4 threads by default) and cannot be
 * cancelled: a run that times out returns, but its lookup stays queued until
 * the resolver answers. Two things keep that bounded: a connection's socket is
 * detached from its lookup when it closes (the queued request then holds a
 * few bytes, not the socket, its listeners and the HTTP client behind them),
 * and a gate caps the lookups in flight per monitor, failing the runs past
 * the cap at once.
 */
import { lookup as systemLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';

/** In-flight lookups a monitor allows by default: at the throughput of 4 threads on a healthy resolver, a wait of about a second or two, well inside a check's timeout. */
export const DEFAULT_MAX_LOOKUPS_IN_FLIGHT = 256;

type LookupCallback = (...args: unknown[]) => void;

/** The lookups of one monitor, counted and capped. */
export interface LookupGate {
  /** Resolves through the wrapped lookup, or fails at once (`EAI_AGAIN`) when `max` are still waiting. */
  readonly lookup: LookupFunction;
  /** Lookups started and not yet answered, those of runs that have ended included. */
  inFlight(): number;
}

export interface LookupGateOptions {
  /** Lookups in flight at most (default {@link DEFAULT_MAX_LOOKUPS_IN_FLIGHT}). */
  readonly max?: number;
  /** The lookup to cap (default `dns.lookup`, getaddrinfo). */
  readonly lookup?: LookupFunction | undefined;
  /** On a change of state only: the cap was reached (`true`), or half of it is free again (`false`). */
  readonly onSaturation?: (saturated: boolean, inFlight: number) => void;
}

/**
 * Caps the lookups in flight. A lookup past the cap is not started: its
 * connection fails with `EAI_AGAIN` (a `dns_timeout` result) and says how many
 * are still waiting, instead of queueing behind them for ever.
 *
 * @example
 * const gate = createLookupGate({ max: 256 });
 * await executeCheck(check, { lookup: gate.lookup });
 * gate.inFlight(); // for lifeline_dns_lookups_in_flight
 */
export function createLookupGate(options: LookupGateOptions = {}): LookupGate {
  const max = options.max ?? DEFAULT_MAX_LOOKUPS_IN_FLIGHT;
  const base = (options.lookup ?? systemLookup) as unknown as (h: string, o: unknown, cb: LookupCallback) => void;
  let inFlight = 0;
  let saturated = false;
  const settle = () => {
    inFlight -= 1;
    // Half the cap free again: the resolver keeps up, not one answer in a flood.
    if (saturated && inFlight <= max / 2) {
      saturated = false;
      options.onSaturation?.(false, inFlight);
    }
  };
  const lookup = (hostname: string, opts: unknown, callback: LookupCallback) => {
    if (inFlight >= max) {
      if (!saturated) {
        saturated = true;
        options.onSaturation?.(true, inFlight);
      }
      const error = Object.assign(
        new Error(`the resolver is saturated: ${inFlight} lookups still waiting (${hostname} was not looked up)`),
        { code: 'EAI_AGAIN', hostname },
      );
      // On a later turn of the loop, as a real answer comes: a run that fails at once still lets sockets close.
      setImmediate(callback, error);
      return;
    }
    inFlight += 1;
    let answered = false;
    try {
      base(hostname, opts, (...args) => {
        if (answered) return;
        answered = true;
        settle();
        callback(...args);
      });
    } catch (error) {
      // An invalid hostname or option throws before anything is queued.
      if (!answered) {
        answered = true;
        settle();
      }
      throw error;
    }
  };
  return { lookup: lookup as unknown as LookupFunction, inFlight: () => inFlight };
}

/**
 * The lookup one socket uses, and `detach` to call when the socket closes: a
 * lookup still queued then keeps nothing of the socket, and its late answer
 * goes nowhere.
 */
export function detachableLookup(lookup: LookupFunction = systemLookup as unknown as LookupFunction): {
  lookup: LookupFunction;
  detach(): void;
} {
  let waiting: LookupCallback | undefined;
  const call = lookup as unknown as (h: string, o: unknown, cb: LookupCallback) => void;
  const detached = (hostname: string, opts: unknown, callback: LookupCallback) => {
    waiting = callback;
    call(hostname, opts, (...args) => {
      const deliver = waiting;
      waiting = undefined;
      deliver?.(...args);
    });
  };
  return {
    lookup: detached as unknown as LookupFunction,
    detach: () => {
      waiting = undefined;
    },
  };
}
