// Issue #9, defect 1: no request may crash or 500 the monitor. Raw bytes over
// a real socket, so requests Node's own parser refuses are covered too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { CheckResult } from '../domain/result.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { makeCheck } from '../testing/check.js';
import { createApiServer } from './app.js';
import { createMetrics } from './metrics.js';

interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Writes raw bytes on a new connection and reads until the server closes it (bounded). */
function raw(port: number, request: string | Buffer): Promise<RawResponse | undefined> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s to ${JSON.stringify(String(request).slice(0, 120))}`));
    }, 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset after the answer is fine: what was read counts
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
      if (!m) return resolve(undefined);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(m[1]), head: text.slice(0, split), body: text.slice(split + 4) });
    });
    socket.write(request);
  });
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '/',
  '/',
  'api',
  'v1',
  'checks',
  'api',
  'results',
  'uptime',
  'readyz',
  'livez',
  'healthcheck',
  'metrics',
  'push',
  'events',
  'overview',
  'checks=',
  ',',
  'lastEventId=',
  'start',
  'fail',
  'report',
  'job',
  '%',
  '%Z',
  '%ZZ',
  '%E0%A4%A',
  '%C3%28',
  '%00',
  '%2F',
  '%25',
  '%FF',
  '..',
  '.',
  '?',
  '?',
  '&',
  '=',
  '#',
  '+',
  'limit=',
  '1e3',
  '0x10',
  '%205',
  'ok=',
  'maybe',
  'window=',
  '1h',
  'bucket=',
  '7s',
  'since=',
  'until=',
  ';',
  '*',
  '\u00e9',
  '\u{1F600}',
  '[',
  ']',
  '@',
  ':',
  '~',
  '"',
  '<',
  '\\',
  '{',
  '}',
  '|',
  '^',
  '`',
];

describe('monitor API under malformed requests (raw sockets)', () => {
  let dir: string;
  let store: Store;
  let server: http.Server;
  let port: number;
  const latest = new Map<string, CheckResult>();
  const health = createHealth({ checks: { store: () => store.ping() } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-fuzz-'));
    store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    const at = Date.now() - 60_000;
    const result: CheckResult = {
      time: new Date(at).toISOString(),
      check: 'api',
      url: 'http://api:3000/',
      status: 200,
      ok: true,
      durationMs: 3,
      phases: { dns: 0, connect: 1, tls: 0, ttfb: 1, transfer: 1, total: 3 },
    };
    await store.write([result]);
    latest.set('api', result);
    server = createApiServer({
      checks: () => [
        makeCheck({ name: 'api' }),
        makeCheck({
          name: 'job',
          kind: 'push',
          target: { kind: 'push' },
          push: { graceMs: 60_000, maxRunTimeMs: null, token: 'job-token' },
        }),
      ],
      push: {
        ping: () => ({ accepted: false, reason: 'fuzz' }),
        report: () => ({ accepted: false, reason: 'fuzz' }),
      },
      latest: () => latest,
      store,
      metrics: createMetrics(() => latest),
      health,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    health.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const line = (requestLine: string, headers = 'Host: monitor\r\n') =>
    `${requestLine}\r\n${headers}Connection: close\r\n\r\n`;
  const isHealthPath = (request: string) => /^\S+ (?:http:\/\/[^/ ]*)?\/(?:livez|readyz|healthcheck)\b/.test(request);

  /** Every answer is below 500; an error answer is JSON with a code (the health paths may answer text). */
  const check = (request: string | Buffer, res: RawResponse | undefined) => {
    const shown = JSON.stringify(String(request).slice(0, 200));
    assert.ok(res, `an HTTP answer to ${shown}`);
    assert.ok(res.status < 500, `${res.status} for ${shown}: ${res.body.slice(0, 300)}`);
    if (res.status >= 400 && !isHealthPath(String(request)) && !String(request).startsWith('HEAD ')) {
      assert.match(res.head, /content-type: application\/json/i, shown);
      assert.equal(typeof JSON.parse(res.body).error, 'string', shown);
    }
  };

  const cases: [string, number][] = [
    [line('GET /api/v1/checks/%ZZ HTTP/1.1'), 400],
    [line('GET /api/v1/checks/%E0%A4%A/results HTTP/1.1'), 400],
    [line('GET /readyz/%ZZ HTTP/1.1'), 400],
    [line('GET /livez/%E0%A4%A HTTP/1.1'), 400],
    [line('GET /healthcheck/% HTTP/1.1'), 400],
    [line('GET http://[/x HTTP/1.1'), 400],
    [line('GET http://monitor/api/v1/checks HTTP/1.1'), 200],
    [line('GET http://monitor/livez HTTP/1.1'), 200],
    [line('GET * HTTP/1.1'), 400],
    [line('OPTIONS * HTTP/1.1'), 400],
    [line('CONNECT monitor:443 HTTP/1.1'), 405],
    [line('GET /api/v1/checks\0 HTTP/1.1'), 400],
    [line('GET /api/v1/checks/a%00b HTTP/1.1'), 404],
    [line('GET /api/v1/checks/%2E%2E/api HTTP/1.1'), 404],
    [line(`GET /${'a'.repeat(20_000)} HTTP/1.1`), 431],
    [line(`GET /${'a'.repeat(8_000)} HTTP/1.1`), 404],
    [line(`GET /api/v1/checks/api/results?${'limit=1&'.repeat(1_000)} HTTP/1.1`), 400],
    [line('GET / HTTP/1.1', `Host: monitor\r\nX-Big: ${'b'.repeat(20_000)}\r\n`), 431],
    [line('GET / HTTP/1.1', 'Host: monitor\r\nX-Bad\0: 1\r\n'), 400],
    [line('BREW /api/v1/checks HTTP/1.1'), 400],
    [line('PROPFIND /api/v1/checks HTTP/1.1'), 405],
    [line('DELETE /api/v1/checks/api HTTP/1.1'), 405],
    [line('get /api/v1/checks HTTP/1.1'), 400],
    [line('GET /api/v1/checks HTTP/9.9'), 400],
    [line('GET /api/v1/checks'), 200], // no version: llhttp reads it as HTTP/0.9-style
    ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 a TLS hello on a plain port\r\n\r\n', 400],
    [line('GET /api/v1/checks/api/results?limit=1e3 HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/results?limit=0x10 HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/results?limit=%205 HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/results?limit=%ZZ HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/results?%ZZ HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/results?&&=&limit=2&& HTTP/1.1'), 200],
    [line('GET /api/v1/checks/api/results?since=%00 HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/results?until=99999999999999999999 HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/uptime?window= HTTP/1.1'), 400],
    [line('GET /api/v1/checks/api/uptime?window=1h&bucket=1e3m HTTP/1.1'), 400],
    [line('GET /api/v1/checks?verbose HTTP/1.1'), 400],
    [`${line('POST /api/v1/checks HTTP/1.1', 'Host: monitor\r\nContent-Length: 5\r\n')}hello`, 405],
    [`${line('POST /api/v1/checks HTTP/1.1', 'Host: monitor\r\nTransfer-Encoding: chunked\r\n')}zz\r\nbad\r\n`, 400],
    [line('GET /api/v1/checks HTTP/1.1', 'Host: monitor\r\nContent-Length: -1\r\n'), 400],
    [line('GET /api/v1/checks HTTP/1.1', 'Host: monitor\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n'), 400],
    [line('HEAD /api/v1/checks/%ZZ HTTP/1.1'), 400],
    [line('GET /api/v1/checks HTTP/1.0', ''), 200],
    [line('GET /api/v1/push/job HTTP/1.1'), 401],
    [line('GET /api/v1/push/job HTTP/1.1', 'Host: monitor\r\nAuthorization: Bearer job-token\r\n'), 200],
    [line('GET /api/v1/push/%ZZ HTTP/1.1'), 400],
    [line('GET /api/v1/push/api HTTP/1.1'), 400],
    [line('GET /api/v1/push/nope/start HTTP/1.1'), 404],
    [line('DELETE /api/v1/push/job HTTP/1.1'), 405],
    [
      `${line('POST /api/v1/push/job/report HTTP/1.1', 'Host: monitor\r\nAuthorization: Bearer job-token\r\nContent-Type: application/json\r\nContent-Length: 2\r\n')}{}`,
      400,
    ],
    [line('GET /api/v1/overview?checks=api HTTP/1.1'), 200],
    [line('GET /api/v1/overview?checks=api,job HTTP/1.1'), 200],
    [line('GET /api/v1/overview HTTP/1.1'), 400],
    [line('GET /api/v1/overview?checks=%ZZ HTTP/1.1'), 400],
    [line('GET /api/v1/overview?checks=,,, HTTP/1.1'), 400],
    [line(`GET /api/v1/overview?checks=${'a,'.repeat(200)}a HTTP/1.1`), 400],
    [line('GET /api/v1/overview?checks=api%00 HTTP/1.1'), 400],
    [line('GET /api/v1/overview?checks=nope HTTP/1.1'), 404],
    [line('POST /api/v1/overview HTTP/1.1'), 405],
    // This server has no event hub: the stream route is a 404 (events.test.ts covers the stream).
    [line('GET /api/v1/events HTTP/1.1'), 404],
    [line('GET /api/v1/events?checks=%ZZ HTTP/1.1'), 400],
    [line('GET /api/v1/checks HTTP/1.1', ''), 400], // HTTP/1.1 needs Host
    [line('GET /livez HTTP/1.1', ''), 400],
  ];

  it('answers each known-bad request line, path, query and header with the right status (never 500)', async () => {
    for (const [request, status] of cases) {
      const res = await raw(port, request);
      check(request, res);
      assert.equal(res?.status, status, `${JSON.stringify(request.slice(0, 120))}: ${res?.body.slice(0, 200)}`);
    }
  });

  it('answers 2,000 random paths and queries below 500, and still serves afterwards', async () => {
    const rand = random(9);
    const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;
    const requests: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      let target = pick(['/', '/api/v1/checks/', '/api/v1/checks/api/', '/api/v1/push/', '/readyz/', 'http://m/', '']);
      const n = 1 + Math.floor(rand() * 12);
      for (let j = 0; j < n; j++)
        target += rand() < 0.1 ? String.fromCharCode(0x21 + Math.floor(rand() * 94)) : pick(PIECES);
      const method = pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'OPTIONS', 'PUT']);
      requests.push(line(`${method} ${target} HTTP/1.1`));
    }
    const statuses = new Map<number, number>();
    for (let i = 0; i < requests.length; i += 20) {
      const batch = requests.slice(i, i + 20);
      const answers = await Promise.all(batch.map((r) => raw(port, Buffer.from(r, 'utf8'))));
      answers.forEach((res, k) => {
        check(batch[k] as string, res);
        statuses.set(res?.status as number, (statuses.get(res?.status as number) ?? 0) + 1);
      });
    }
    assert.ok((statuses.get(400) ?? 0) > 100, `many 400s: ${JSON.stringify([...statuses])}`);
    const after = await fetch(`http://127.0.0.1:${port}/api/v1/checks`);
    assert.equal(after.status, 200);
    assert.equal(((await after.json()) as { checks: unknown[] }).checks.length, 2);
  });
});
