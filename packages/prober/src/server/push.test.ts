// Issue #11: the push routes (pings and reports of push checks), with a
// recording PushSink standing in for the monitor's side.
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { ResolvedCheck, Schedule, ServerAuth } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import type { Ping, PingOutcome, PushSink } from '../push/types.js';
import { makeCheck } from '../testing/check.js';
import { createApiServer } from './app.js';
import type { ApiDeps } from './context.js';
import { createMetrics } from './metrics.js';
import { OPENAPI } from './openapi.js';
import { PING_KEEP_BYTES, PING_MAX_BYTES, pingMessage } from './push-body.js';
import { createPushForwarder, FORWARDED_HEADER, type PushForwarder } from './push-forward.js';
import { createPushLimiter, PUSH_BURST, type PushLimiter } from './push-limiter.js';

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const TOKEN = 'push_tok_backup_0123456789';
const OTHER = 'push_tok_nightly_9876543210';
const SERVER_TOKEN = 'server_tok_abcdef';

const pushCheck = (name: string, token: string, schedule: Schedule): ResolvedCheck =>
  makeCheck({
    name,
    url: `push://${name}`,
    kind: 'push',
    target: { kind: 'push' },
    schedule,
    push: { graceMs: 300_000, maxRunTimeMs: null, token },
  });

const CHECKS = [
  makeCheck({ name: 'api' }),
  pushCheck('backup', TOKEN, { kind: 'every', intervalMs: 3_600_000 }),
  pushCheck('nightly', OTHER, { kind: 'cron', pattern: '0 3 * * *', timezone: 'UTC' }),
];

interface Recorded {
  readonly pings: { check: string; ping: Ping }[];
  readonly reports: { check: string; results: readonly CheckResult[]; time: number }[];
}

function recordingSink(): PushSink & Recorded {
  const pings: Recorded['pings'] = [];
  const reports: Recorded['reports'] = [];
  const outcome = (check: string): PingOutcome =>
    check === 'nightly'
      ? { accepted: false, reason: 'too late for the 03:00 run' }
      : { accepted: true, scheduledAt: NOW - 60_000, state: 'up' };
  return {
    pings,
    reports,
    ping(check, ping) {
      pings.push({ check, ping });
      return outcome(check);
    },
    report(check, results, time) {
      reports.push({ check, results, time });
      return outcome(check);
    },
  };
}

interface Options {
  auth?: ServerAuth;
  push?: boolean;
  externalUrl?: string;
  nextExpected?: (name: string) => number | undefined;
  pushRoute?: ApiDeps['pushRoute'];
  pushForwarder?: PushForwarder;
}

async function start(options: Options = {}) {
  const clock = { now: NOW };
  const sink = recordingSink();
  const limiter: PushLimiter = createPushLimiter(() => clock.now);
  const latest = new Map<string, CheckResult>();
  const health = createHealth({ checks: {} });
  const server = createApiServer({
    checks: () => CHECKS,
    latest: () => latest,
    metrics: createMetrics(() => latest),
    health,
    now: () => clock.now,
    pushLimiter: limiter,
    pushBodyTimeoutMs: 300,
    ...(options.push === false
      ? {}
      : { push: options.nextExpected ? Object.assign(sink, { nextExpected: options.nextExpected }) : sink }),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.externalUrl ? { externalUrl: options.externalUrl } : {}),
    ...(options.pushRoute ? { pushRoute: options.pushRoute } : {}),
    ...(options.pushForwarder ? { pushForwarder: options.pushForwarder } : {}),
  });
  const sockets: Socket[] = [];
  server.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    clock,
    sink,
    limiter,
    port,
    sockets,
    server,
    async call(path: string, init: RequestInit & { token?: string } = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
      const res = await fetch(`${base}${path}`, { ...rest, headers });
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        text,
        body: res.headers.get('content-type')?.includes('json') && text !== '' ? JSON.parse(text) : undefined,
      };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

interface RawAnswer {
  readonly status: number | undefined;
  readonly head: string;
  readonly body: string;
}

/**
 * Sends `head`, then `chunks` chunks of `size` bytes (each as an HTTP chunk
 * when `chunked`), honouring backpressure, and stops writing as soon as an
 * answer comes or the server closes. Resolves when the server has closed the
 * connection (bounded: 10 s).
 */
function rawSend(port: number, head: string, chunks = 0, size = 0, chunked = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the connection within 10 s'));
    }, 10_000);
    socket.on('data', (chunk) => got.push(chunk));
    socket.on('error', () => {}); // a reset after the answer is expected: what was read counts
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      const text = Buffer.concat(got).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, head: text.slice(0, split), body: text.slice(split + 4) });
    });
    socket.write(head);
    const piece = Buffer.alloc(size, 'x');
    const framed = chunked
      ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
      : piece;
    void (async () => {
      for (let i = 0; i < chunks && !closed && got.length === 0; i++) {
        if (!socket.write(framed)) {
          await new Promise<void>((r) => {
            socket.once('drain', r);
            socket.once('close', r);
          });
        }
      }
    })();
  });
}

describe('push routes: pings', () => {
  let api: Awaited<ReturnType<typeof start>>;
  before(async () => {
    api = await start();
  });
  after(() => api.close());

  it('takes success, start and fail pings by POST (with a body) and GET (without), and answers the outcome', async () => {
    const before = api.sink.pings.length;
    const posted = await api.call('/api/v1/push/backup', { method: 'POST', body: 'done: 42 rows', token: TOKEN });
    assert.equal(posted.status, 200);
    assert.deepEqual(posted.body, {
      check: 'backup',
      accepted: true,
      scheduledAt: new Date(NOW - 60_000).toISOString(),
      state: 'up',
    });
    assert.equal((await api.call('/api/v1/push/backup/start', { token: TOKEN })).status, 200);
    assert.equal(
      (await api.call('/api/v1/push/backup/fail', { method: 'POST', body: 'disk full\n', token: TOKEN })).status,
      200,
    );
    assert.equal((await api.call('/api/v1/push/backup', { method: 'HEAD', token: TOKEN })).status, 200);
    const late = await api.call('/api/v1/push/nightly', { token: OTHER });
    assert.deepEqual(
      [late.status, late.body],
      [200, { check: 'nightly', accepted: false, reason: 'too late for the 03:00 run' }],
    );
    assert.deepEqual(
      api.sink.pings.slice(before).map((p) => [p.check, p.ping.kind, p.ping.body, p.ping.time]),
      [
        ['backup', 'success', 'done: 42 rows', NOW],
        ['backup', 'start', '', NOW],
        ['backup', 'fail', 'disk full\n', NOW],
        ['backup', 'success', '', NOW],
        ['nightly', 'success', '', NOW],
      ],
    );
    api.clock.now += 60_000; // a fresh bucket for the next tests
  });

  it('refuses a missing token, a wrong one and the token of another check with 401, and records nothing', async () => {
    const before = api.sink.pings.length;
    const cases: [RequestInit & { token?: string }, string][] = [
      [{}, 'Bearer realm="lifeline push"'],
      [{ token: 'wrong' }, 'Bearer realm="lifeline push", error="invalid_token"'],
      [{ token: OTHER }, 'Bearer realm="lifeline push", error="invalid_token"'],
      [{ token: `${TOKEN}x` }, 'Bearer realm="lifeline push", error="invalid_token"'],
      [
        { headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } },
        'Bearer realm="lifeline push"',
      ],
    ];
    for (const [init, challenge] of cases) {
      for (const path of ['/api/v1/push/backup', '/api/v1/push/backup/fail']) {
        const res = await api.call(path, { method: 'POST', body: 'x', ...init });
        assert.deepEqual([res.status, res.body.error], [401, 'unauthorized'], JSON.stringify(init));
        assert.equal(res.headers.get('www-authenticate'), challenge);
        assert.ok(!res.text.includes(TOKEN) && !res.text.includes(OTHER), 'no token is echoed');
      }
    }
    assert.equal(api.sink.pings.length, before);
  });

  it('answers an unknown check 404, a probed check 400, other methods 405, and other paths 404', async () => {
    const unknown = await api.call('/api/v1/push/nope', { token: TOKEN });
    assert.deepEqual([unknown.status, unknown.body.message], [404, 'no check named "nope"']);
    const probed = await api.call('/api/v1/push/api', { method: 'POST', token: TOKEN });
    assert.deepEqual([probed.status, probed.body.message], [400, 'check "api" is probed by the monitor, not pinged']);
    const put = await api.call('/api/v1/push/backup', { method: 'PUT', token: TOKEN });
    assert.deepEqual([put.status, put.headers.get('allow')], [405, 'GET, HEAD, POST']);
    const getReport = await api.call('/api/v1/push/backup/report', { token: TOKEN });
    assert.deepEqual([getReport.status, getReport.headers.get('allow')], [405, 'POST']);
    for (const path of ['/api/v1/push', '/api/v1/push/backup/stop', '/api/v1/push/backup/start/x'])
      assert.equal((await api.call(path, { token: TOKEN })).status, 404, path);
    const query = await api.call('/api/v1/push/backup?rid=1', { token: TOKEN });
    assert.deepEqual([query.status, query.body.error], [400, 'unknown_parameter']);
  });

  it('keeps a 10 KB body exactly, cuts an 11 KB one to 10 KB, and cleans what it keeps', async () => {
    api.clock.now += 60_000;
    const before = api.sink.pings.length;
    const ten = 'a'.repeat(PING_KEEP_BYTES);
    assert.equal((await api.call('/api/v1/push/backup', { method: 'POST', body: ten, token: TOKEN })).status, 200);
    const eleven = `${'b'.repeat(PING_KEEP_BYTES)}${'c'.repeat(1024)}`;
    assert.equal((await api.call('/api/v1/push/backup', { method: 'POST', body: eleven, token: TOKEN })).status, 200);
    const dirty = Buffer.concat([
      Buffer.from('ok\tline\r\n\x00\x1b[31mred\x7f\u0085'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('!'),
    ]);
    assert.equal((await api.call('/api/v1/push/backup', { method: 'POST', body: dirty, token: TOKEN })).status, 200);
    const bodies = api.sink.pings.slice(before).map((p) => p.ping.body);
    assert.equal(bodies[0], ten);
    assert.equal(bodies[1], 'b'.repeat(PING_KEEP_BYTES));
    assert.equal(bodies[2], 'ok\tline\n[31mred\ufffd\ufffd!');
    // A cut through a character drops its first bytes instead of leaving a U+FFFD.
    const euro = Buffer.from(`${'x'.repeat(PING_KEEP_BYTES - 1)}€`);
    assert.equal(pingMessage(euro.subarray(0, PING_KEEP_BYTES), true), 'x'.repeat(PING_KEEP_BYTES - 1));
  });

  it('answers a 10 MB body 413 after reading a bounded part of it, closes the connection, and stays up', async () => {
    api.clock.now += 60_000;
    const before = api.sink.pings.length;
    const head = (framing: string) =>
      `POST /api/v1/push/backup HTTP/1.1\r\nHost: m\r\nAuthorization: Bearer ${TOKEN}\r\n${framing}\r\n`;
    for (const chunked of [false, true]) {
      const sockets = api.sockets.length;
      const framing = chunked ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${10 * 1024 * 1024}\r\n`;
      const res = await rawSend(api.port, head(framing), 160, 65_536, chunked);
      assert.equal(res.status, 413, res.head);
      assert.match(res.head, /\r\nconnection: close/i);
      assert.equal(JSON.parse(res.body).error, 'payload_too_large');
      const served = api.sockets.slice(sockets);
      assert.equal(served.length, 1);
      const read = served[0]?.bytesRead ?? 0;
      assert.ok(read < 4 * PING_MAX_BYTES, `the server read ${read} bytes of a 10 MB body (chunked: ${chunked})`);
      assert.ok(served[0]?.destroyed, 'the server closed its socket');
    }
    assert.equal(api.sink.pings.length, before, 'nothing recorded');
    assert.equal((await api.call('/api/v1/push/backup', { token: TOKEN })).status, 200, 'still serving');
  });

  it('answers 408 and closes the connection when the body does not come', async () => {
    api.clock.now += 60_000;
    const before = api.sink.pings.length;
    const res = await rawSend(
      api.port,
      `POST /api/v1/push/backup HTTP/1.1\r\nHost: m\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 100\r\n\r\npart`,
    );
    assert.equal(res.status, 408);
    assert.match(res.head, /\r\nconnection: close/i);
    assert.equal(JSON.parse(res.body).error, 'request_timeout');
    assert.equal(api.sink.pings.length, before);
  });

  it('rate-limits each check: a burst is taken, then 429 with Retry-After until the clock moves on', async () => {
    api.clock.now += 60_000;
    const before = api.sink.pings.length;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 200; i++) {
      const res = await api.call('/api/v1/push/backup', { token: TOKEN });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    assert.deepEqual(statuses.slice(0, PUSH_BURST), Array(PUSH_BURST).fill(200));
    assert.deepEqual(statuses.slice(PUSH_BURST), Array(200 - PUSH_BURST).fill(429));
    assert.equal(retryAfter, '1');
    assert.equal(api.sink.pings.length - before, PUSH_BURST, 'refused pings are not recorded');
    assert.equal(
      (await api.call('/api/v1/push/nightly', { token: OTHER })).status,
      200,
      'each check has its own bucket',
    );
    api.clock.now += 1_000;
    assert.equal((await api.call('/api/v1/push/backup', { token: TOKEN })).status, 200, 'a second later');
  });

  it('makes no limiter entry for unknown names, wrong tokens or probed checks', async () => {
    const held = api.limiter.size();
    assert.ok(held <= 2);
    for (let i = 0; i < 10_000; i += 100) {
      const batch = Array.from({ length: 100 }, (_, k) => api.call(`/api/v1/push/job-${i + k}`, { token: TOKEN }));
      for (const res of await Promise.all(batch)) assert.equal(res.status, 404);
    }
    await api.call('/api/v1/push/api', { token: TOKEN });
    await api.call('/api/v1/push/backup', { token: 'wrong' });
    assert.equal(api.limiter.size(), held);
  });
});

describe('push routes: reports', () => {
  let api: Awaited<ReturnType<typeof start>>;
  before(async () => {
    api = await start();
  });
  after(() => api.close());

  const phases = { dns: 1, connect: 2, tls: 3, ttfb: 4, transfer: 5, total: 15 };
  const good = (check: string, ok = true) => ({
    time: new Date(NOW - 5_000).toISOString(),
    check,
    url: `https://${check}.example/health`,
    status: ok ? 200 : 503,
    ok,
    durationMs: 15,
    phases,
    ...(ok ? {} : { error: { code: 'http_status', message: 'status 503 is not in 200-399' } }),
  });
  const report = (body: string, contentType = 'application/json') =>
    api.call('/api/v1/push/backup/report', {
      method: 'POST',
      body,
      token: TOKEN,
      headers: { 'content-type': contentType },
    });

  it('hands valid results to the sink, copied field by field, and says how many', async () => {
    const results = [
      good('db'),
      { ...good('cache', false), extra: 'ignored', conditions: [{ condition: '[STATUS] == 200', ok: false }] },
    ];
    const res = await report(JSON.stringify({ results }));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      check: 'backup',
      accepted: true,
      scheduledAt: new Date(NOW - 60_000).toISOString(),
      state: 'up',
      stored: 2,
    });
    const got = api.sink.reports.at(-1);
    assert.deepEqual([got?.check, got?.time], ['backup', NOW]);
    assert.deepEqual(got?.results[0], good('db'));
    assert.ok(!('extra' in (got?.results[1] ?? {})), 'unknown fields are not copied');
    assert.deepEqual(got?.results[1]?.conditions, [{ condition: '[STATUS] == 200', ok: false }]);
  });

  it('refuses bad reports with 400 naming the index and field, and hands nothing on', async () => {
    api.clock.now += 60_000;
    const before = api.sink.reports.length;
    const many = Array.from({ length: 101 }, () => good('db'));
    const cases: [string, RegExp][] = [
      ['not json', /^the body is not valid UTF-8 JSON/],
      ['[]', /^the body must be an object/],
      ['{"results": {}}', /^results must be an array of 1 to 100 results/],
      ['{"results": []}', /^results must be an array of 1 to 100 results/],
      [JSON.stringify({ results: many }), /^results must be an array of 1 to 100 results, got "101 results"/],
      [
        JSON.stringify({ results: [good('db'), { ...good('x'), ok: 'yes' }] }),
        /^results\[1\]\.ok must be true or false, got "yes"/,
      ],
      [
        JSON.stringify({ results: [{ ...good('x'), phases: { ...phases, ttfb: -1 } }] }),
        /^results\[0\]\.phases\.ttfb must be/,
      ],
      [JSON.stringify({ results: [{ ...good('x'), status: 42 }] }), /^results\[0\]\.status must be an HTTP status/],
      [
        JSON.stringify({ results: [{ ...good('x'), time: 'yesterday' }] }),
        /^results\[0\]\.time must be an ISO 8601 time/,
      ],
      [
        JSON.stringify({ results: [{ ...good('x'), error: { code: 'oops', message: 'm' } }] }),
        /^results\[0\]\.error\.code/,
      ],
      [JSON.stringify({ results: [{ ...good('x'), check: undefined }] }), /^results\[0\]\.check must be a string/],
      ['{"results": [{"__proto__": {"polluted": true}}]}', /^results\[0\] has a "__proto__" key/],
      ['{"__proto__": {"polluted": true}, "results": []}', /^the body has a "__proto__" key/],
      [
        `{"results": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
        /^results\[0\] must be an object, got an array of 1$/,
      ],
    ];
    for (const [body, message] of cases) {
      api.clock.now += 1_000; // each case a ping: within the rate limit
      const res = await report(body);
      assert.deepEqual([res.status, res.body.error], [400, 'bad_request'], body.slice(0, 80));
      assert.match(res.body.message, message, body.slice(0, 80));
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(api.sink.reports.length, before);
  });

  it('refuses another content type (415) and a body past 256 KB (413)', async () => {
    api.clock.now += 60_000;
    assert.equal((await report(JSON.stringify({ results: [good('db')] }), 'text/plain')).status, 415);
    const big = await report(JSON.stringify({ results: [{ ...good('db'), url: 'u'.repeat(300_000) }] }));
    assert.deepEqual([big.status, big.body.error], [413, 'payload_too_large']);
    assert.equal(big.headers.get('connection'), 'close');
  });
});

describe('push routes and the rest of the API', () => {
  it('need no server.auth credentials, while the other routes still do', async () => {
    const api = await start({
      auth: { bearer: SERVER_TOKEN, metrics: 'protected', statusPage: 'public', badges: 'protected' },
    });
    try {
      assert.equal((await api.call('/api/v1/push/backup', { token: TOKEN })).status, 200);
      assert.equal(
        (await api.call('/api/v1/push/backup', { token: SERVER_TOKEN })).status,
        401,
        'not the server token',
      );
      assert.equal((await api.call('/api/v1/checks')).status, 401);
      assert.equal((await api.call('/api/v1/checks', { token: TOKEN })).status, 401, 'nor a push token elsewhere');
      assert.equal((await api.call('/api/v1/checks', { token: SERVER_TOKEN })).status, 200);
    } finally {
      await api.close();
    }
  });

  it('are 404 when the monitor takes no pings', async () => {
    const api = await start({ push: false });
    try {
      const res = await api.call('/api/v1/push/backup', { method: 'POST', body: 'x', token: TOKEN });
      assert.deepEqual([res.status, res.body.error], [404, 'not_found']);
    } finally {
      await api.close();
    }
  });

  it('list push checks with their URL, next expected run and grace', async () => {
    const api = await start();
    try {
      const { body } = await api.call('/api/v1/checks');
      const byName = new Map(body.checks.map((c: { name: string }) => [c.name, c]));
      assert.ok(!('pushUrl' in (byName.get('api') as object)));
      assert.deepEqual(
        ['backup', 'nightly'].map((n) => {
          const c = byName.get(n) as Record<string, unknown>;
          return [c.kind, c.pushUrl, c.nextExpectedAt, c.graceMs];
        }),
        [
          ['push', '/api/v1/push/backup', new Date(NOW + 3_600_000).toISOString(), 300_000],
          ['push', '/api/v1/push/nightly', '2026-07-01T03:00:00.000Z', 300_000],
        ],
      );
    } finally {
      await api.close();
    }
    const known = await start({
      externalUrl: 'https://mon.example/',
      nextExpected: (n) => (n === 'backup' ? NOW + 5 : undefined),
    });
    try {
      const one = (await known.call('/api/v1/checks/backup')).body;
      assert.deepEqual(
        [one.pushUrl, one.nextExpectedAt],
        ['https://mon.example/api/v1/push/backup', new Date(NOW + 5).toISOString()],
      );
    } finally {
      await known.close();
    }
  });

  it('are described in the OpenAPI document', () => {
    for (const path of ['/api/v1/push/{check}', '/api/v1/push/{check}/start', '/api/v1/push/{check}/fail'])
      assert.deepEqual(
        Object.keys((OPENAPI.paths as Record<string, object>)[path] ?? {}).sort(),
        ['get', 'post'],
        path,
      );
    assert.ok('post' in OPENAPI.paths['/api/v1/push/{check}/report']);
  });
});

describe("push routes in a cluster (issue #13): pings reach the check's owner", () => {
  it("passes a ping on to the owner once and answers with the owner's answer", async () => {
    const owner = await start({ pushRoute: () => ({ local: true }) });
    const forwarder = createPushForwarder('member-b', 2_000);
    const other = await start({
      pushRoute: () => ({ local: false, member: 'member-a', url: `http://127.0.0.1:${owner.port}` }),
      pushForwarder: forwarder,
    });
    try {
      const answer = await other.call('/api/v1/push/backup', { method: 'POST', token: TOKEN, body: 'took 3 s' });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, {
        check: 'backup',
        accepted: true,
        scheduledAt: new Date(NOW - 60_000).toISOString(),
        state: 'up',
      });
      assert.equal(other.sink.pings.length, 0, 'the member that does not own the check records nothing');
      assert.deepEqual(
        owner.sink.pings.map((p) => [p.check, p.ping.kind, p.ping.body]),
        [['backup', 'success', 'took 3 s']],
      );
      // The owner's refusal comes back as it is (a wrong token is checked on both sides).
      const refused = await other.call('/api/v1/push/backup/fail', { method: 'POST', token: OTHER });
      assert.equal(refused.status, 401);
      assert.equal(owner.sink.pings.length, 1);
      // A report goes on with its body and type.
      const report = await other.call('/api/v1/push/backup/report', {
        method: 'POST',
        token: TOKEN,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          results: [
            {
              time: new Date(NOW - 5_000).toISOString(),
              check: 'db',
              url: 'https://db.example/health',
              status: 200,
              ok: true,
              durationMs: 15,
              phases: { dns: 1, connect: 2, tls: 3, ttfb: 4, transfer: 5, total: 15 },
            },
          ],
        }),
      });
      assert.equal(report.status, 200, report.text);
      assert.deepEqual(
        owner.sink.reports.map((r) => [r.check, r.results.length]),
        [['backup', 1]],
      );
      assert.equal(other.sink.reports.length, 0);
    } finally {
      await other.close();
      await owner.close();
      await forwarder.close();
    }
  });

  it('takes a ping that was passed on already, even when it thinks another member owns the check', async () => {
    const member = await start({
      pushRoute: () => ({ local: false, member: 'member-c', url: 'http://127.0.0.1:9' }),
      pushForwarder: createPushForwarder('x'),
    });
    try {
      const answer = await member.call('/api/v1/push/backup', {
        token: TOKEN,
        headers: { [FORWARDED_HEADER]: 'member-b' },
      });
      assert.equal(answer.status, 200);
      assert.equal(member.sink.pings.length, 1, 'no second hop');
    } finally {
      await member.close();
    }
  });

  it('answers 503 (retry) when the owner is unknown, unreachable or silent, and records nothing', async () => {
    const silent = net.createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const forwarder = createPushForwarder('member-b', 300);
    const routes: NonNullable<ApiDeps['pushRoute']>[] = [
      () => ({ local: false, member: null, error: 'no cluster member holds a valid lease right now' }),
      () => ({ local: false, member: 'member-a', url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }),
    ];
    try {
      for (const pushRoute of routes) {
        const member = await start({ pushRoute, pushForwarder: forwarder });
        try {
          const answer = await member.call('/api/v1/push/backup', { method: 'POST', token: TOKEN, body: 'x' });
          assert.equal(answer.status, 503);
          assert.equal(answer.body.error, 'owner_unavailable');
          assert.match(answer.body.message, /check "backup" .*retry$/);
          assert.equal(member.sink.pings.length, 0);
        } finally {
          await member.close();
        }
      }
    } finally {
      await forwarder.close();
      silent.close();
    }
  });
});
