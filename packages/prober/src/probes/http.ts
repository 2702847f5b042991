/**
 * The HTTP prober. Its parts live beside it: http-request (the request and its
 * prepared target), http-connection (the connection and its timed connector),
 * http-exchange (one request and its response, as a hop), http-redirects.
 */

import type { Observation } from '../domain/result.js';
import { Connection, type ConnectSettings } from './http-connection.js';
import { Exchange, type Hop, toObservation, zeroPhases } from './http-exchange.js';
import { RedirectChain } from './http-redirects.js';
import { type HttpProbeRequest, type Prepared, prepare } from './http-request.js';

export { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REDIRECTS, type HttpProbeRequest, USER_AGENT } from './http-request.js';

/** Which check a probe belongs to, for a prober that serves many runs of many checks. */
export interface ProbeOwner {
  /** The check's name: its client and its prepared request are kept under it between runs. */
  readonly key: string;
  /**
   * Keep the connection open for the next run (its DNS, connect and TLS
   * phases are then 0). Otherwise each run connects afresh and closes.
   */
  readonly keepAlive: boolean;
}

/** Sends HTTP probes; keeps a client per check, and its connection when asked to. */
export interface HttpProber {
  /**
   * Sends the request (following redirects) and reports what happened, with
   * the time spent in each phase. Never rejects: every failure, the timeout
   * included, comes back as data. Without an owner everything made for the
   * probe is closed after it.
   */
  probe(req: HttpProbeRequest, owner?: ProbeOwner): Promise<Observation>;
  /** Closes the clients of a check (removed or changed) once a run still under way is done. */
  forget(key: string): Promise<void>;
  /** Closes every client at once, cancelling what is in flight. */
  close(): Promise<void>;
}

/** What a check keeps between runs. */
interface Kept {
  /**
   * Its clients, by origin (a redirect may lead to another): only with
   * keepAlive. A check that connects afresh each run keeps none between runs
   * (an undici Client is ~2.5 KB of heap: 250 MB at 100,000 checks).
   */
  connections?: Map<string, Connection>;
  first?: Prepared;
  /** Forgotten (the check was removed or changed): a run still under way must not add to it. */
  closed: boolean;
}

/**
 * One listener per cancellation signal (the scheduler has one for all its
 * runs), not one per request: it cancels every exchange still waiting on it.
 * Removed when the prober closes, so a short-lived prober leaves nothing on a
 * signal that outlives it.
 */
function createSignalWatch() {
  const waiting = new Map<AbortSignal, { exchanges: Set<Exchange>; onAbort: () => void }>();
  const watch = (signal: AbortSignal): Set<Exchange> => {
    let watched = waiting.get(signal);
    if (!watched) {
      const exchanges = new Set<Exchange>();
      const onAbort = () => {
        waiting.delete(signal);
        for (const exchange of exchanges) exchange.cancel();
      };
      watched = { exchanges, onAbort };
      waiting.set(signal, watched);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return watched.exchanges;
  };
  const unwatchAll = () => {
    for (const [signal, { onAbort }] of waiting) signal.removeEventListener('abort', onAbort);
    waiting.clear();
  };
  return { watch, unwatchAll };
}

function connectionIn(entry: Kept, origin: string, settings: ConnectSettings): Connection {
  entry.connections ??= new Map();
  let connection = entry.connections.get(origin);
  if (!connection) {
    connection = new Connection(origin, settings);
    entry.connections.set(origin, connection);
  }
  return connection;
}

const closeAll = (connections: Iterable<Connection>) =>
  Promise.all([...connections].map((c) => c.destroy())).then(() => {});

/** The target of a hop: the check's kept first one if it still fits, else prepared now (an Error if the URL is bad). */
function targetFor(entry: Kept | undefined, hop: number, url: string, headers: HttpProbeRequest['headers']) {
  let target = hop === 0 ? entry?.first : undefined;
  if (target?.url !== url || target.source !== headers) {
    try {
      target = prepare(url, headers);
    } catch (error) {
      return error as Error;
    }
    if (hop === 0 && entry && !entry.closed) entry.first = target;
  }
  return target;
}

/** How one probe's hops are sent: on the check's kept connections or on fresh ones, under one deadline. */
interface HopContext {
  readonly req: HttpProbeRequest;
  readonly entry: Kept | undefined;
  readonly keepAlive: boolean;
  readonly deadline: number;
  readonly signalSet: Set<Exchange> | undefined;
  /** The connections of hops under way that nobody keeps: close() ends them too. */
  readonly unkept: Set<Connection>;
}

/** Sends one request and waits for its hop; then keeps, or closes, the connection it used. */
async function sendHop(ctx: HopContext, target: Prepared, method: string, body: string | undefined): Promise<Hop> {
  const { req, entry, keepAlive, signalSet } = ctx;
  const owned = keepAlive && entry?.closed === false ? entry : undefined;
  const connection = owned ? connectionIn(owned, target.origin, req) : new Connection(target.origin, req);
  if (!owned) ctx.unkept.add(connection);
  const exchange = new Exchange(connection, req, target, ctx.deadline - performance.now(), keepAlive);
  if (req.signal?.aborted) exchange.cancel();
  else {
    signalSet?.add(exchange);
    exchange.send(target, method, body, !keepAlive || target.close);
  }
  const last = await exchange.done;
  signalSet?.delete(exchange);
  if (!owned) {
    ctx.unkept.delete(connection);
    void connection.destroy();
  } else if (last.error || exchange.stopped) {
    // The exchange failed or was cut short, in whatever phase: its
    // connection goes with it, sockets still connecting included, and
    // the next run starts a new one. undici 7 can leave a Client stalled
    // after a failed connect (after a TLS hostname mismatch:
    // nodejs/undici#5355), and after an aborted request it connects
    // again for the request it has just dropped, and keeps that socket.
    owned.connections?.delete(target.origin);
    void connection.destroy();
  }
  return last;
}

/**
 * The HTTP prober of one monitor (or one `check --once`). Each check has
 * clients of its own: no pool is shared between checks, so one slow target
 * never delays another check's request.
 */
export function createHttpProber(): HttpProber {
  const kept = new Map<string, Kept>();
  const unkept = new Set<Connection>();
  const signals = createSignalWatch();
  const keptFor = (key: string): Kept => {
    let entry = kept.get(key);
    if (!entry) {
      entry = { closed: false };
      kept.set(key, entry);
    }
    return entry;
  };

  return {
    async probe(req, owner) {
      const started = performance.now();
      const ctx: HopContext = {
        req,
        deadline: started + req.timeoutMs,
        signalSet: req.signal ? signals.watch(req.signal) : undefined,
        entry: owner ? keptFor(owner.key) : undefined,
        keepAlive: owner?.keepAlive === true,
        unkept,
      };
      const chain = new RedirectChain(req);
      for (let hop = 0; ; hop++) {
        const target = targetFor(ctx.entry, hop, chain.url, req.headers);
        if (target instanceof Error) {
          return toObservation(
            { status: null, error: { code: 'unknown', message: target.message }, phases: zeroPhases() },
            performance.now() - started,
          );
        }
        const last = await sendHop(ctx, target, chain.method, chain.body);
        const total = performance.now() - started;
        const final = chain.follow(last, hop);
        if (final) return toObservation(final, total);
      }
    },
    async forget(key) {
      const entry = kept.get(key);
      kept.delete(key);
      if (!entry) return;
      entry.closed = true;
      // A run of the old check may still be under way: its request finishes first.
      await Promise.all([...(entry.connections?.values() ?? [])].map((c) => c.client.close().catch(() => {})));
    },
    async close() {
      signals.unwatchAll();
      const all = [...kept.values()].flatMap((entry) => [...(entry.connections?.values() ?? [])]);
      all.push(...unkept);
      kept.clear();
      unkept.clear();
      await closeAll(all);
    },
  };
}

/** One request on a fresh connection, closed afterwards: `lifeline check --once` and tests. */
export async function probeHttp(req: HttpProbeRequest): Promise<Observation> {
  const prober = createHttpProber();
  try {
    return await prober.probe(req);
  } finally {
    await prober.close();
  }
}
