// Issue #12: live events (GET /api/v1/events) through the real API server on
// loopback, read as bytes and parsed as the HTML standard says. Time and the
// flush timer are a FakeClock's: a flush happens when the test advances it.
import assert from 'node:assert/strict';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { ResolvedCheck, ServerAuth } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { FakeClock } from '../testing/fake-clock.js';
import { bounded } from '../testing/faults.js';
import { openNonReader, openStream, type SseEvent, type SseStream } from '../testing/sse.js';
import { createApiServer } from './app.js';
import { createEventHub, EVENTS_DEFAULTS, type EventHubOptions } from './events.js';
import { createMetrics } from './metrics.js';

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const TOKEN = 'events-token-0123456789';

const result = (check: string, fields: Partial<CheckResult> = {}): CheckResult => ({
  time: new Date(NOW).toISOString(),
  check,
  url: `http://${check}:3000/`,
  status: 200,
  ok: true,
  durationMs: 7,
  phases: { dns: 0, connect: 1, tls: 0, ttfb: 5, transfer: 1, total: 7 },
  ...fields,
});

/** Waits (bounded) for a condition that a socket event elsewhere makes true. */
async function until(what: string, ready: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function startServer(
  options: { hub?: EventHubOptions; auth?: ServerAuth; checks?: readonly ResolvedCheck[]; withHub?: boolean } = {},
) {
  const clock = new FakeClock(NOW);
  const latest = new Map<string, CheckResult>();
  const metrics = createMetrics(() => latest);
  const hub = createEventHub({ clock, metrics, ...options.hub });
  const health = createHealth({ checks: {} });
  const server: http.Server = createApiServer({
    checks: () => options.checks ?? [makeCheck({ name: 'api' })],
    latest: () => latest,
    metrics,
    health,
    now: () => clock.now(),
    ...(options.withHub === false ? {} : { events: hub }),
    ...(options.auth ? { auth: options.auth } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const streams: SseStream[] = [];
  return {
    hub,
    clock,
    port,
    base,
    metrics: () => metrics.registry.metrics(),
    /** Connections the server holds open now. */
    connections: () =>
      new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n)))),
    async open(path = '/api/v1/events', headers: Record<string, string> = {}) {
      const stream = await openStream(`${base}${path}`, headers);
      streams.push(stream);
      return stream;
    },
    /** Publishes and flushes: one event per call (the flush interval has passed). */
    async flush(...results: CheckResult[]) {
      for (const r of results) hub.publish(r);
      await clock.advance(EVENTS_DEFAULTS.flushMs);
    },
    async close() {
      for (const s of streams) s.close();
      hub.close();
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const seqOf = (id: string | undefined) => Number(id?.split('.')[1]);
const results = (e: SseEvent) => (JSON.parse(e.data) as { results: { check: string }[] }).results;
const has = (n: number) => (p: { events: readonly SseEvent[] }) => p.events.length >= n;

describe('live events: GET /api/v1/events', () => {
  it('batches every result of a flush into one event, serialized once and the same for every client', async () => {
    const t = await startServer();
    try {
      const [a, b] = [await t.open(), await t.open()];
      assert.equal(a.status, 200);
      assert.match(String(a.headers['content-type']), /^text\/event-stream/);
      assert.equal(a.headers['cache-control'], 'no-store');
      assert.equal(a.headers['x-accel-buffering'], 'no');
      await a.until('retry', (p) => p.retry === 2_000);

      for (let i = 0; i < 50; i++) t.hub.publish(result(`c${i}`, { durationMs: i }));
      // c3 again, failing: only the newest of a check is sent, and it moves to the end.
      t.hub.publish(
        result('c3', {
          ok: false,
          status: 503,
          degraded: true,
          maintenance: true,
          error: { code: 'http_status', message: 'status 503 is not in 200-399', phase: 'ttfb' },
        }),
      );
      await t.clock.advance(0); // the first flush after a quiet time is not held back
      await a.until('the batch', has(1));
      await b.until('the batch', has(1));
      const [event] = a.parser.events as [SseEvent];
      assert.equal(event.event, 'results');
      assert.equal(event.id, `${t.hub.bootId}.1`);
      assert.equal(event.data, b.parser.events[0]?.data, 'every client gets the same bytes');
      const updates = results(event);
      assert.equal(updates.length, 50);
      assert.deepEqual(updates[0], {
        check: 'c0',
        state: 'up',
        time: new Date(NOW).toISOString(),
        ok: true,
        status: 200,
        durationMs: 0,
      });
      assert.deepEqual(updates.at(-1), {
        check: 'c3',
        state: 'maintenance',
        time: new Date(NOW).toISOString(),
        ok: false,
        degraded: true,
        status: 503,
        durationMs: 7,
        error: { code: 'http_status', message: 'status 503 is not in 200-399' },
        maintenance: true,
      });

      // At most one flush per 500 ms: the next result waits for the interval.
      t.hub.publish(result('api', { ok: false, status: 500 }));
      await t.clock.advance(EVENTS_DEFAULTS.flushMs - 1);
      assert.equal(t.hub.stats().lastId, `${t.hub.bootId}.1`, 'not flushed before the interval');
      await t.clock.advance(1);
      await a.until('the second event', has(2));
      assert.deepEqual(
        results(a.parser.events[1] as SseEvent).map((u) => u),
        [
          {
            check: 'api',
            state: 'down',
            time: new Date(NOW).toISOString(),
            ok: false,
            status: 500,
            durationMs: 7,
          },
        ],
      );
      // Nothing published: no event, however long.
      await t.clock.advance(10 * EVENTS_DEFAULTS.flushMs);
      assert.equal(t.hub.stats().lastId, `${t.hub.bootId}.2`);
    } finally {
      await t.close();
    }
  });

  it('sends `: ping` every 15 s and a config event after a reload, results first', async () => {
    const t = await startServer();
    try {
      const s = await t.open();
      await s.until('retry', (p) => p.retry !== undefined);
      await t.clock.advance(EVENTS_DEFAULTS.pingMs);
      await s.until('a ping', (p) => p.comments.includes('ping'));
      t.hub.publish(result('api'));
      t.hub.config(3); // the pending result goes out before the config event
      await s.until('both events', has(2));
      assert.deepEqual(
        s.parser.events.map((e) => [e.event, seqOf(e.id)]),
        [
          ['results', 1],
          ['config', 2],
        ],
      );
      assert.deepEqual(JSON.parse(s.parser.events[1]?.data as string), { checks: 3 });
    } finally {
      await t.close();
    }
  });

  it('replays what a client missed after a reconnect with Last-Event-ID, as a header or ?lastEventId=', async () => {
    const t = await startServer();
    try {
      const first = await t.open();
      await first.until('its place', (p) => p.lastId === `${t.hub.bootId}.0`);
      for (let i = 1; i <= 3; i++) await t.flush(result(`c${i}`));
      await first.until('three events', has(3));
      const seen = first.parser.lastId as string;
      assert.equal(seen, `${t.hub.bootId}.3`);
      first.close();
      for (let i = 4; i <= 5; i++) await t.flush(result(`c${i}`));

      const byHeader = await t.open('/api/v1/events', { 'last-event-id': seen });
      const byQuery = await t.open(`/api/v1/events?lastEventId=${encodeURIComponent(seen)}`);
      // The header is what a reconnecting EventSource sends: it wins over the query it was opened with.
      const both = await t.open(`/api/v1/events?lastEventId=${t.hub.bootId}.1`, {
        'last-event-id': `${t.hub.bootId}.4`,
      });
      for (const s of [byHeader, byQuery]) {
        await s.until('the missed events', has(2));
        assert.deepEqual(
          s.parser.events.map((e) => [e.event, seqOf(e.id), results(e)[0]?.check]),
          [
            ['results', 4, 'c4'],
            ['results', 5, 'c5'],
          ],
        );
      }
      await both.until('the one missed event', has(1));
      assert.deepEqual(
        both.parser.events.map((e) => seqOf(e.id)),
        [5],
      );
      // Then live, as any client.
      await t.flush(result('c6'));
      for (const s of [byHeader, byQuery, both])
        await s.until('the live event', (p) => p.lastId?.endsWith('.6') ?? false);
      assert.ok(
        [byHeader, byQuery, both].every((s) => s.parser.events.every((e) => e.event === 'results')),
        'no reset',
      );

      // A client already up to date gets nothing but its place.
      const current = await t.open('/api/v1/events', { 'last-event-id': `${t.hub.bootId}.6` });
      await t.flush(result('c7'));
      await current.until('the next event', has(1));
      assert.deepEqual(
        current.parser.events.map((e) => seqOf(e.id)),
        [7],
      );
    } finally {
      await t.close();
    }
  });

  it('sends one reset for an id it cannot serve: too old, another boot, from the future, malformed, too far behind', async () => {
    const other = createEventHub({ clock: new FakeClock(NOW) });
    other.publish(result('api'));
    other.close();
    const t = await startServer({ hub: { ringEvents: 3, maxBufferedBytes: 64 * 1024 } });
    try {
      for (let i = 1; i <= 6; i++) await t.flush(result(`c${i}`));
      assert.deepEqual([t.hub.stats().ringEvents, t.hub.stats().lastId], [3, `${t.hub.bootId}.6`]);
      const edge = await t.open('/api/v1/events', { 'last-event-id': `${t.hub.bootId}.3` });
      await edge.until('the kept events', has(3));
      assert.deepEqual(
        edge.parser.events.map((e) => [e.event, seqOf(e.id)]),
        [
          ['results', 4],
          ['results', 5],
          ['results', 6],
        ],
      );
      const ids = [`${t.hub.bootId}.2`, other.stats().lastId, `${t.hub.bootId}.99`, 'garbage', `${t.hub.bootId}.-1`];
      for (const id of ids) {
        const s = await t.open(`/api/v1/events?lastEventId=${encodeURIComponent(id)}`);
        await s.until(`the reset for ${id}`, has(1));
        assert.deepEqual(s.parser.events, [{ id: `${t.hub.bootId}.6`, event: 'reset', data: '{}' }], id);
      }
      assert.notEqual(other.bootId, t.hub.bootId);

      // More to replay than a client may have unsent (64 KiB here): a refetch is cheaper.
      const big = 'x'.repeat(1_000);
      await t.flush(
        ...Array.from({ length: 100 }, (_, i) =>
          result(`big${i}`, { ok: false, error: { code: 'http_status', message: big } }),
        ),
      );
      const behind = await t.open('/api/v1/events', { 'last-event-id': `${t.hub.bootId}.6` });
      await behind.until('the reset', has(1));
      assert.deepEqual(
        behind.parser.events.map((e) => e.event),
        ['reset'],
      );
    } finally {
      await t.close();
    }
  });

  it('?checks= keeps the results of those checks only, and refuses a bad list with 400', async () => {
    const t = await startServer();
    try {
      const some = await t.open('/api/v1/events?checks=a,b');
      const all = await t.open();
      await t.flush(result('a'), result('c'));
      await t.flush(result('c'));
      await t.flush(result('b'), result('a'));
      t.hub.config(2);
      await all.until('four events', has(4));
      await some.until('three events', has(3));
      assert.deepEqual(
        some.parser.events.map((e) => [
          e.event,
          seqOf(e.id),
          e.event === 'results' ? results(e).map((u) => u.check) : [],
        ]),
        [
          ['results', 1, ['a']],
          ['results', 3, ['b', 'a']],
          ['config', 4, []],
        ],
      );
      assert.deepEqual(
        all.parser.events.map((e) => seqOf(e.id)),
        [1, 2, 3, 4],
      );
      // The filter applies to a replay too.
      const replayed = await t.open('/api/v1/events?checks=c', { 'last-event-id': `${t.hub.bootId}.0` });
      await replayed.until('the replay', has(3));
      assert.deepEqual(
        replayed.parser.events.map((e) => seqOf(e.id)),
        [1, 2, 4],
      );

      const bad: [string, string, RegExp][] = [
        ['checks=', 'bad_parameter', /empty name at position 1/],
        ['checks=a,,b', 'bad_parameter', /empty name at position 2/],
        ['checks=a,%2Fetc', 'bad_parameter', /"\/etc" at position 2, which is not a check name/],
        [`checks=${Array.from({ length: 101 }, (_, i) => `c${i}`).join(',')}`, 'bad_parameter', /at most 100/],
        ['checks=a&checks=b', 'bad_parameter', /given 2 times/],
        ['check=a', 'unknown_parameter', /takes checks, lastEventId/],
      ];
      for (const [query, code, message] of bad) {
        const res = await fetch(`${t.base}/api/v1/events?${query}`);
        const body = (await res.json()) as { error: string; message: string };
        assert.deepEqual([res.status, body.error], [400, code], query);
        assert.match(body.message, message, query);
      }
      const hundred = await t.open(`/api/v1/events?checks=${Array.from({ length: 100 }, (_, i) => `c${i}`).join(',')}`);
      assert.equal(hundred.status, 200);
    } finally {
      await t.close();
    }
  });

  it('serves 200 clients the same events', async () => {
    const t = await startServer();
    try {
      const streams: SseStream[] = [];
      for (let i = 0; i < 4; i++) streams.push(...(await Promise.all(Array.from({ length: 50 }, () => t.open()))));
      assert.equal(t.hub.stats().clients, 200);
      assert.match(await t.metrics(), /^lifeline_events_clients 200$/m);
      await t.flush(result('a'), result('b', { ok: false, status: 503 }));
      await t.flush(result('a', { degraded: true }));
      await t.flush(result('c'));
      await Promise.all(streams.map((s) => s.until('three events', has(3))));
      const expected = streams[0]?.parser.events;
      assert.equal(expected?.length, 3);
      for (const s of streams) assert.deepEqual(s.parser.events, expected);
      for (const s of streams) s.close();
      await until('every client gone', () => t.hub.stats().clients === 0);
      assert.match(await t.metrics(), /^lifeline_events_clients 0$/m);
    } finally {
      await t.close();
    }
  });

  it('drops a client that never reads once 1 MiB waits unsent, while the others go on; memory stays bounded', async () => {
    const t = await startServer();
    try {
      const reader = await t.open();
      const stuck = await openNonReader(t.port, '/api/v1/events');
      await until('both attached', () => t.hub.stats().clients === 2);
      const message = 'm'.repeat(2_000);
      let frameBytes = 0;
      let flushes = 0;
      // Each flush is ~0.8 MB. The kernel's socket buffers take a few MB before the server's own buffer grows.
      while (t.hub.stats().dropped === 0) {
        flushes += 1;
        assert.ok(
          flushes <= 200,
          `not dropped after ${flushes - 1} flushes (${t.hub.stats().maxBuffered} bytes waiting)`,
        );
        await t.flush(
          ...Array.from({ length: 400 }, (_, i) =>
            result(`c${i}`, { ok: false, error: { code: 'http_status', message: `${flushes} ${message}` } }),
          ),
        );
        const stats = t.hub.stats();
        // Waits for the reader: it keeps up, so only the stuck client's data piles up.
        await reader.until(`event ${flushes}`, has(flushes), 10_000);
        frameBytes = Math.max(frameBytes, Buffer.byteLength(reader.parser.events.at(-1)?.data ?? '') + 64);
        assert.ok(
          stats.maxBuffered <= EVENTS_DEFAULTS.maxBufferedBytes + frameBytes,
          `at most 1 MiB and one event wait for a client: ${stats.maxBuffered} bytes`,
        );
      }
      assert.deepEqual([t.hub.stats().clients, t.hub.stats().dropped], [1, 1]);
      assert.equal(await t.connections(), 1, "the server closed the stuck client's socket");
      await bounded(stuck.closed(), 5_000, 'the stuck client seeing the reset');
      assert.match(await t.metrics(), /^lifeline_events_dropped_total 1$/m);
      assert.match(await t.metrics(), /^lifeline_events_clients 1$/m);
      await t.flush(result('after'));
      await reader.until('the event after the drop', has(flushes + 1));
      assert.deepEqual(
        results(reader.parser.events.at(-1) as SseEvent).map((u) => u.check),
        ['after'],
      );
      assert.ok(t.hub.stats().maxBuffered < EVENTS_DEFAULTS.maxBufferedBytes, 'nothing piles up for the reader');
    } finally {
      await t.close();
    }
  });

  it('answers the 1,001st client 503 too_many_clients, and takes a new one when another leaves', async () => {
    const t = await startServer();
    const sockets: net.Socket[] = [];
    try {
      // Raw sockets that read and discard: each counts once its response head arrived.
      const connect = () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(t.port, '127.0.0.1');
          sockets.push(socket);
          socket.once('error', reject);
          socket.once('data', () => resolve(socket));
          socket.write('GET /api/v1/events HTTP/1.1\r\nHost: monitor\r\n\r\n');
        });
      for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 100 }, connect));
      assert.equal(t.hub.stats().clients, 1_000);
      const refused = await fetch(`${t.base}/api/v1/events`);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '30');
      const body = (await refused.json()) as { error: string; message: string };
      assert.equal(body.error, 'too_many_clients');
      assert.match(body.message, /at most 1000 live event streams/);
      sockets.pop()?.destroy();
      await until('the client gone', () => t.hub.stats().clients === 999);
      const next = await t.open();
      assert.equal(next.status, 200);
      assert.equal(t.hub.stats().clients, 1_000);
    } finally {
      for (const s of sockets) s.destroy();
      await t.close();
    }
  });

  it('needs server.auth credentials like the rest of the API', async () => {
    const t = await startServer({
      auth: { bearer: TOKEN, metrics: 'protected', statusPage: 'public', badges: 'protected' },
    });
    try {
      const res = await fetch(`${t.base}/api/v1/events`);
      assert.equal(res.status, 401);
      assert.match(String(res.headers.get('www-authenticate')), /^Bearer realm="lifeline"/);
      assert.equal(((await res.json()) as { error: string }).error, 'unauthorized');
      const wrong = await fetch(`${t.base}/api/v1/events`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      assert.equal(t.hub.stats().clients, 0);
      const s = await t.open('/api/v1/events', { authorization: `Bearer ${TOKEN}` });
      assert.equal(s.status, 200);
      await t.flush(result('api'));
      await s.until('an event', has(1));
    } finally {
      await t.close();
    }
  });

  it('close() sends what is pending, ends every stream, clears its timers and refuses new streams', async () => {
    const t = await startServer();
    try {
      const streams = [await t.open(), await t.open('/api/v1/events?checks=api'), await t.open()];
      await until('three attached', () => t.hub.stats().clients === 3);
      t.hub.publish(result('api'));
      t.hub.close();
      for (const s of streams) {
        await s.ended();
        assert.deepEqual(
          s.parser.events.map((e) => [e.event, results(e)[0]?.check]),
          [['results', 'api']],
        );
      }
      assert.equal(t.hub.stats().clients, 0);
      assert.equal(t.clock.pending, 0, 'no flush or ping timer left');
      const late = await fetch(`${t.base}/api/v1/events`);
      assert.deepEqual([late.status, ((await late.json()) as { error: string }).error], [503, 'shutting_down']);
    } finally {
      await t.close();
    }
  });

  it('HEAD answers the stream headers without a stream; without a hub the route is 404', async () => {
    const t = await startServer();
    const none = await startServer({ withHub: false });
    try {
      const head = await fetch(`${t.base}/api/v1/events`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.match(String(head.headers.get('content-type')), /^text\/event-stream/);
      assert.equal(t.hub.stats().clients, 0);
      const missing = await fetch(`${none.base}/api/v1/events`);
      assert.deepEqual([missing.status, ((await missing.json()) as { error: string }).error], [404, 'not_found']);
    } finally {
      await t.close();
      await none.close();
    }
  });
});
