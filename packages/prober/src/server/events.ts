import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CheckState, checkState } from '../domain/check-state.js';
import type { CheckResult } from '../domain/result.js';
import { type Clock, systemClock } from '../scheduler/scheduler.js';
import { ApiError } from './errors.js';
import { createEventRing, type RingEntry } from './event-ring.js';

export const EVENTS_DEFAULTS = {
  /** Results are sent at most this often, batched. */
  flushMs: 500,
  /** A comment line this often keeps proxies from closing an idle stream. */
  pingMs: 15_000,
  /** `retry:` sent at the start: how long a client waits before it reconnects. */
  retryMs: 2_000,
  maxClients: 1_000,
  /** A client with more unsent data than this is dropped: it does not read. */
  maxBufferedBytes: 1024 * 1024,
  /** The ring of recent events a reconnecting client is served from: at most this many... */
  ringEvents: 1_000,
  /** ...and this many bytes of data. */
  ringBytes: 4 * 1024 * 1024,
} as const;

/** One result as the live events carry it: `event: results`, data `{"results": [Update, ...]}`. */
export interface Update {
  readonly check: string;
  readonly state: CheckState;
  readonly time: string;
  readonly ok: boolean;
  readonly degraded?: true;
  readonly status: number | null;
  readonly durationMs: number;
  readonly error?: { readonly code: string; readonly message: string };
  readonly maintenance?: true;
}

export interface EventHubOptions {
  /** Time and timers (tests pass a FakeClock); real timers are unref'd. */
  readonly clock?: Clock;
  readonly flushMs?: number;
  readonly pingMs?: number;
  readonly maxClients?: number;
  readonly maxBufferedBytes?: number;
  readonly ringEvents?: number;
  readonly ringBytes?: number;
  /** The first part of every event id; random per process start unless given. */
  readonly bootId?: string;
  /** The state an update carries; by default what the result itself says (no schedule known). */
  readonly stateOf?: (result: CheckResult) => CheckState;
  /** Where lifeline_events_clients reads from and lifeline_events_dropped_total counts. */
  readonly metrics?: { events(clients: () => number): void; eventsDropped(): void };
}

export interface AttachOptions {
  /** Only results of these checks (config events always). */
  readonly checks?: readonly string[] | undefined;
  /** The id of the last event the client saw: the header `Last-Event-ID`, or `?lastEventId=`. */
  readonly lastEventId?: string | undefined;
}

export interface EventHubStats {
  readonly clients: number;
  /** Clients dropped so far for not reading. */
  readonly dropped: number;
  /** Events and bytes in the ring of recent events. */
  readonly ringEvents: number;
  readonly ringBytes: number;
  /** The most unsent data of any client now (bytes, what the socket buffers included). */
  readonly maxBuffered: number;
  /** The newest event's id (`<bootId>.0` before the first). */
  readonly lastId: string;
}

export interface EventHub {
  readonly bootId: string;
  /** A decided run: sent with the others of its flush (only the newest per check). */
  publish(result: CheckResult): void;
  /** The checks changed (a reload): clients refetch the list. */
  config(checks: number): void;
  /**
   * Makes `res` a live stream: replay after `lastEventId` (or a reset), then
   * every event. Throws an ApiError, before anything is written, when it cannot.
   */
  attach(req: IncomingMessage, res: ServerResponse, options?: AttachOptions): void;
  stats(): EventHubStats;
  /** Sends what is pending, ends every stream, refuses new ones. */
  close(): void;
}

interface Client {
  readonly res: ServerResponse;
  readonly filter: ReadonlySet<string> | undefined;
  /** Clients with the same filter share one rendering of each event. */
  readonly key: string;
}

export function toUpdate(result: CheckResult, state: CheckState): Update {
  return {
    check: result.check,
    state,
    time: result.time,
    ok: result.ok,
    ...(result.degraded ? { degraded: true as const } : {}),
    status: result.status,
    durationMs: result.durationMs,
    ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
    ...(result.maintenance ? { maintenance: true as const } : {}),
  };
}

const unref = (handle: unknown) => (handle as { unref?: () => void } | undefined)?.unref?.();

/**
 * Server-Sent Events of the monitor (GET /api/v1/events). Results are
 * collected and flushed at most every flushMs: each Update is serialized
 * once per flush, each event rendered once per distinct `?checks=` filter,
 * and the same bytes written to every client that shares it. A ring of
 * recent events, bounded in count and bytes, serves reconnects
 * (Last-Event-ID); a client it cannot serve gets `event: reset`. Every
 * client's unsent data is bounded: past maxBufferedBytes it is dropped.
 */
export function createEventHub(options: EventHubOptions = {}): EventHub {
  const d = EVENTS_DEFAULTS;
  const o = {
    flushMs: options.flushMs ?? d.flushMs,
    pingMs: options.pingMs ?? d.pingMs,
    maxClients: options.maxClients ?? d.maxClients,
    maxBufferedBytes: options.maxBufferedBytes ?? d.maxBufferedBytes,
    ringEvents: options.ringEvents ?? d.ringEvents,
    ringBytes: options.ringBytes ?? d.ringBytes,
  };
  const clock = options.clock ?? systemClock;
  const bootId = options.bootId ?? randomBytes(6).toString('hex');
  const stateOf = options.stateOf ?? ((result: CheckResult) => checkState({ latest: result, now: clock.now() }));
  const clients = new Set<Client>();
  const pending = new Map<string, Update>();
  const ring = createEventRing(bootId, o.ringEvents, o.ringBytes);
  let dropped = 0;
  let lastFlush = Number.NEGATIVE_INFINITY;
  let flushTimer: unknown;
  let pingTimer: unknown;
  let closed = false;
  options.metrics?.events(() => clients.size);

  function drop(client: Client): void {
    if (!clients.delete(client)) return;
    dropped += 1;
    options.metrics?.eventsDropped();
    // A reset, not a FIN: a FIN would queue behind the data the client does not read, and the
    // kernel would keep those buffers; a reset frees them on both ends at once.
    const socket = client.res.socket;
    if (socket && !socket.destroyed) socket.resetAndDestroy();
    client.res.destroy();
  }

  function send(client: Client, chunk: Buffer | string): void {
    const { res } = client;
    if (res.destroyed || res.writableEnded) return;
    // What waits already, not counting this chunk: one large flush never drops a client that keeps up.
    if (res.writableLength > o.maxBufferedBytes) drop(client);
    else res.write(chunk);
  }

  /** Writes a new event to every client, rendered once per distinct filter. */
  function broadcast(entry: RingEntry): void {
    const frames = new Map<string, Buffer | undefined>();
    for (const client of clients) {
      if (!frames.has(client.key)) frames.set(client.key, ring.render(entry, client.filter));
      const frame = frames.get(client.key);
      if (frame) send(client, frame);
    }
  }

  function flush(): void {
    if (pending.size === 0) return;
    lastFlush = clock.now();
    const checks = [...pending.keys()];
    const parts = [...pending.values()].map((u) => JSON.stringify(u));
    pending.clear();
    broadcast(ring.add('results', parts, checks));
  }

  function schedule(): void {
    if (flushTimer !== undefined || closed) return;
    flushTimer = clock.setTimeout(
      () => {
        flushTimer = undefined;
        flush();
      },
      Math.max(0, lastFlush + o.flushMs - clock.now()),
    );
    unref(flushTimer);
  }

  function ping(): void {
    pingTimer = clock.setTimeout(ping, o.pingMs);
    unref(pingTimer);
    for (const client of clients) send(client, ': ping\n\n');
  }
  pingTimer = clock.setTimeout(ping, o.pingMs);
  unref(pingTimer);

  return {
    bootId,
    publish(result) {
      if (closed) return;
      pending.delete(result.check); // re-inserted last: the batch keeps the order results came in
      pending.set(result.check, toUpdate(result, stateOf(result)));
      schedule();
    },
    config(checks) {
      if (closed) return;
      flush(); // results of the old config go out first
      broadcast(ring.add('config', [JSON.stringify({ checks })], []));
    },
    attach(req, res, attach = {}) {
      if (closed) throw new ApiError('shutting_down', 'the monitor is stopping; reconnect in a moment');
      if (clients.size >= o.maxClients) {
        throw new ApiError(
          'too_many_clients',
          `this monitor serves at most ${o.maxClients} live event streams at once; try again later`,
          undefined,
          { 'retry-after': '30' },
        );
      }
      const filter = attach.checks ? new Set(attach.checks) : undefined;
      const replay = attach.lastEventId === undefined ? [] : ring.after(attach.lastEventId, filter, o.maxBufferedBytes);
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      const client: Client = { res, filter, key: filter ? [...filter].sort().join(',') : '' };
      clients.add(client);
      res.on('error', () => {}); // a reset peer: 'close' follows and removes it
      res.on('close', () => clients.delete(client));
      // The id-only block gives the client its place even before the first event (no event is dispatched).
      const head = `retry: ${EVENTS_DEFAULTS.retryMs}\n\n`;
      if (replay === undefined) send(client, `${head}id: ${ring.idOf(ring.seq)}\nevent: reset\ndata: {}\n\n`);
      else {
        send(client, head);
        for (const frame of replay) send(client, frame);
        send(client, `id: ${ring.idOf(ring.seq)}\n\n`);
      }
    },
    stats() {
      let maxBuffered = 0;
      for (const { res } of clients) maxBuffered = Math.max(maxBuffered, res.writableLength);
      return {
        clients: clients.size,
        dropped,
        ringEvents: ring.size,
        ringBytes: ring.bytes,
        maxBuffered,
        lastId: ring.idOf(ring.seq),
      };
    },
    close() {
      if (closed) return;
      flush();
      closed = true;
      clock.clearTimeout(flushTimer);
      clock.clearTimeout(pingTimer);
      flushTimer = undefined;
      for (const client of clients) {
        if (client.res.writableLength > o.maxBufferedBytes) drop(client);
        else client.res.end();
      }
      clients.clear();
    },
  };
}
