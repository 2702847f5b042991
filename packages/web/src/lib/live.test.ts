// The live stream client against a real HTTP server on loopback: what it sends on each
// (re)connection, what it does with each kind of answer, and that it lets go of sockets.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type LiveOptions, type LiveStatus, openLiveStream } from './live.ts';
import type { SseEvent } from './sse.ts';

/** Every wait in these tests has a bound. */
async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end();
let requests: IncomingMessage[] = [];

before(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function reset(h: Handler) {
  handler = h;
  requests = [];
}

function open(extra: Partial<LiveOptions> = {}) {
  const events: SseEvent[] = [];
  const statuses: { status: LiveStatus; challenge?: string | null; message?: string | undefined }[] = [];
  const listeners: (() => void)[] = [];
  const stream = openLiveStream({
    url: `${base}/api/v1/events`,
    fetch,
    headers: () => ({ authorization: 'Bearer secret' }),
    onEvent: (e) => {
      events.push(e);
      for (const l of listeners) l();
    },
    onStatus: (status, detail) => {
      statuses.push({ status, ...detail });
      for (const l of listeners) l();
    },
    random: () => 0,
    ...extra,
  });
  const until = (what: string, test: () => boolean) =>
    bounded(
      new Promise<void>((resolve) => {
        const check = () => test() && resolve();
        listeners.push(check);
        check();
      }),
      5_000,
      what,
    );
  return { stream, events, statuses, until };
}

const sse = (res: ServerResponse, text: string) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.write(text);
};

describe('openLiveStream', () => {
  it('reads events, and after a drop reconnects with Last-Event-ID and the same credentials', async () => {
    reset((_req, res, n) => {
      if (n === 1) {
        sse(
          res,
          'retry: 20\n\nid: boot.1\nevent: results\ndata: {"results":[]}\n\nid: boot.2\nevent: config\ndata: {"checks":2}\n\n',
        );
        res.end();
      } else sse(res, 'id: boot.3\nevent: results\ndata: {"results":[]}\n\n');
    });
    const live = open();
    await live.until('three events', () => live.events.length === 3);
    assert.deepEqual(
      live.events.map((e) => `${e.type}@${e.id}`),
      ['results@boot.1', 'config@boot.2', 'results@boot.3'],
    );
    assert.equal(requests[0]?.headers['last-event-id'], undefined);
    assert.equal(requests[1]?.headers['last-event-id'], 'boot.2');
    for (const req of requests) {
      assert.equal(req.headers.authorization, 'Bearer secret');
      assert.equal(req.headers.accept, 'text/event-stream');
    }
    assert.deepEqual(
      live.statuses.map((s) => s.status),
      ['connecting', 'live', 'reconnecting', 'live'],
    );
    assert.equal(live.stream.lastEventId(), 'boot.3');
    const closed = new Promise((resolve) => requests[1]?.socket.once('close', resolve));
    live.stream.close();
    await bounded(closed, 5_000, 'the stream socket to close after close()');
  });

  it('a 401 stops with the challenge; a 404 says unavailable and asks again later', async () => {
    reset((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="lifeline"' });
      res.end('{"error":"unauthorized","message":"no"}');
    });
    const denied = open();
    await denied.until('unauthorized', () => denied.statuses.some((s) => s.status === 'unauthorized'));
    assert.deepEqual(denied.statuses.at(-1), {
      status: 'unauthorized',
      challenge: 'Basic realm="lifeline"',
      message: 'no',
    });
    denied.stream.close();

    reset((_req, res, n) => {
      if (n === 1) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not_found","message":"no route"}');
      } else sse(res, 'data: {}\n\n');
    });
    const missing = open({ unavailableRetryMs: 20 });
    await missing.until('live after unavailable', () => missing.statuses.some((s) => s.status === 'live'));
    assert.deepEqual(
      missing.statuses.map((s) => s.status),
      ['connecting', 'unavailable', 'live'],
    );
    missing.stream.close();
  });

  it('a connection silent past idleMs is dropped and made again', async () => {
    reset((_req, res, n) => {
      if (n === 1) res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
      else sse(res, 'data: hello\n\n');
    });
    const live = open({ idleMs: 150, retryMs: 20, maxDelayMs: 40 });
    await live.until('an event on the second connection', () => live.events.length === 1);
    assert.equal(requests.length, 2);
    assert.equal(requests[0]?.socket.destroyed, true, 'the silent connection was let go');
    live.stream.close();
  });

  it('an answer that is not an event stream, or an error status, is retried with backoff', async () => {
    reset((_req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>');
      } else if (n === 2) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":"too_many_clients"}');
      } else sse(res, 'data: ok\n\n');
    });
    const live = open({ retryMs: 20, maxDelayMs: 40 });
    await live.until('the event', () => live.events.length === 1);
    assert.deepEqual(
      live.statuses.map((s) => s.status),
      ['connecting', 'reconnecting', 'reconnecting', 'live'],
    );
    live.stream.close();
  });

  it('a monitor that is not there at all is retried until it answers', async () => {
    // A port nobody listens on, then the real one.
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/api/v1/events`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    reset((_req, res) => sse(res, 'data: up\n\n'));
    let calls = 0;
    const live = open({
      retryMs: 20,
      maxDelayMs: 40,
      fetch: (input, init) => fetch(++calls === 1 ? deadUrl : input, init),
    });
    await live.until('the event', () => live.events.length === 1);
    assert.deepEqual(
      live.statuses.map((s) => s.status),
      ['connecting', 'reconnecting', 'live'],
    );
    live.stream.close();
  });
});
