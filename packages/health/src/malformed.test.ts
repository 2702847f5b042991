import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express5 from 'express';
// @ts-expect-error express4 is express@4 under an alias, without its own types; it is used untyped.
import express4 from 'express4';
import { createHandler } from './handler.js';
import { createHealth, type Health } from './health.js';
import { listen } from './testing/helpers.js';
import { type Raw, rawRequest } from './testing/raw-http.js';

// Malformed request targets and headers, written byte for byte on a raw socket so
// no client normalizes them. Issue #9, defect 1: `GET /readyz/%ZZ` threw a URIError
// out of the handler and ended any node:http server using it.

const get = (target: string, headers = '') =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`;

/**
 * A well-formed answer, its body as long as Content-Length says, and below 500
 * except the 503 a failing check honestly answers (`/readyz/billing`).
 */
function assertAnswered(res: Raw, what: string, head = false): void {
  const honest503 =
    res.status === 503 && /^text\/plain|^application\/health\+json/.test(res.headers['content-type'] ?? '');
  assert.ok(
    (res.status >= 200 && res.status < 500) || honest503,
    `${what}: status ${res.status} ${res.body.slice(0, 200)}`,
  );
  if (res.headers['content-length'] !== undefined && !head) {
    assert.equal(Buffer.byteLength(res.body, 'latin1'), Number(res.headers['content-length']), `${what}: body length`);
  }
}

function assertBadRequest(res: Raw, what: string, message: RegExp): void {
  assert.equal(res.status, 400, `${what}: ${res.body}`);
  assert.equal(res.headers['content-type'], 'application/json; charset=utf-8', what);
  assert.equal(res.headers['cache-control'], 'no-store', what);
  const body = JSON.parse(res.body) as { error: string; message: string };
  assert.equal(body.error, 'bad_request', what);
  assert.match(body.message, message, what);
}

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789ABCDEFabcdef';
/** A random request target under a health path: escapes (good, truncated, bad), raw bytes, queries. */
function randomTarget(rand: () => number): Buffer {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const parts: Buffer[] = [Buffer.from(pick(['/readyz/', '/livez/', '/healthcheck', '/readyz', 'http://h/readyz/']))];
  const n = Math.floor(rand() * 12);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.25) parts.push(Buffer.from(`%${pick([...HEX])}${pick([...HEX])}`));
    else if (r < 0.3) parts.push(Buffer.from(pick(['%', '%Z', '%ZZ', '%4', '%%'])));
    else if (r < 0.5) parts.push(Buffer.from(pick(['%E0%A4', '%C0%AF', '%ED%A0%80', '%F4%90%80%80', '%FF', '%00'])));
    else if (r < 0.6)
      parts.push(Buffer.from([0x21 + Math.floor(rand() * 0xde)])); // raw byte, maybe non-ASCII
    else if (r < 0.75) parts.push(Buffer.from(pick(['?', '&', '=', 'verbose', 'exclude=', 'db', '/', '#', '..', '+'])));
    else parts.push(Buffer.from(pick(['a', 'db', 'shutdown', 'ping', 'billing', '.', '-'])));
  }
  return Buffer.concat(parts);
}

/** Cases every server built on the handler must survive; answers only need to be well-formed and < 500. */
function explicitCases(): [string, string | Buffer][] {
  const cases: [string, string | Buffer][] = [];
  const targets = [
    '/readyz/%ZZ',
    '/livez/%E0%A4%A',
    '/readyz/%',
    '/readyz/%C0%AF',
    '/readyz/%ED%A0%80',
    '/readyz/%00',
    '/readyz/..%2F..%2Fetc%2Fpasswd',
    '/readyz/%2e%2e',
    '/readyz//',
    '//readyz',
    '/readyz;a=b',
    '/readyz?%',
    '/readyz?exclude=%ZZ',
    '/healthcheck?verbose=%E0%A4%A',
    '/readyz?verbose&verbose=0&verbose=&exclude&exclude=&exclude=db&exclude=db&exclude=nope',
    '/readyz?=&&==&%26&exclude=%64b',
    `/readyz?${'exclude=db&'.repeat(500)}`,
    `/readyz/${'a'.repeat(8_000)}`,
    `/${'x'.repeat(70_000)}`,
    '/livez#fragment',
    'http://[/x',
    'http://x/readyz',
    'http://x/readyz/%ZZ',
    'https://user:pw@x:99999/livez',
    'http://x',
    '*',
    'x.example:443',
    '/readyz/\\..\\',
  ];
  for (const t of targets) cases.push([t.slice(0, 60), get(t)]);
  cases.push(['NUL byte in the path', Buffer.from('GET /readyz/\0x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]);
  cases.push([
    'raw UTF-8 in the path',
    Buffer.from('GET /readyz/\u00e9\u2713 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  ]);
  cases.push([
    'overlong UTF-8 bytes',
    Buffer.concat([
      Buffer.from('GET /readyz/'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ]),
  ]);
  cases.push(['space in the path', 'GET /readyz/a b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  cases.push(['no version', 'GET /readyz\r\n\r\n']);
  cases.push(['HTTP/1.0', 'GET /readyz/%ZZ HTTP/1.0\r\n\r\n']);
  cases.push(['HEAD malformed', 'HEAD /readyz/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  cases.push([
    'POST malformed',
    'POST /readyz/%ZZ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
  ]);
  cases.push(['unknown method', 'BREW /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  cases.push(['OPTIONS *', 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  const headerCases = [
    'Accept: application/health+json;q=0\r\n',
    'Accept: \r\n',
    'Accept: */*\r\nAccept: application/json\r\n',
    `Accept: ${'application/json, '.repeat(2_000)}\r\n`,
    'Accept: application/health+json\xff\r\n',
    'Authorization: Bearer\r\n',
    'Authorization: Bearer \r\n',
    'Authorization: bearer let-me-see-details\r\n',
    'Authorization: Basic %%%\r\n',
    'Authorization: Bearer \xe9\xff\xfe\r\n',
    'Authorization: a\r\nAuthorization: b\r\n',
    `Authorization: Bearer ${'x'.repeat(10_000)}\r\n`,
    'Authorization: Bearer a\x01b\r\n',
  ];
  for (const h of headerCases) {
    for (const t of ['/readyz?verbose', '/healthcheck', '/livez/ping']) {
      cases.push([`${t} with ${h.slice(0, 40)}`, Buffer.from(get(t, h), 'latin1')]);
    }
  }
  return cases;
}

function build(): Health {
  return createHealth({
    detailsToken: 'let-me-see-details',
    checks: {
      db: () => undefined,
      billing: { run: () => ({ status: 'fail', output: 'down' }), critical: false },
      loop: { run: () => undefined, liveness: true },
    },
  });
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

const servers: [string, (health: Health) => RequestListener][] = [
  [
    'node:http',
    (health) => (req, res) => {
      if (!health.handle(req, res)) res.writeHead(418, { 'content-length': '3' }).end('app');
    },
  ],
  [
    'Express 5',
    (health) => {
      const app = express5();
      app.use(health.express());
      return app as unknown as RequestListener;
    },
  ],
  [
    'Express 4',
    (health) => {
      const app = (express4 as unknown as typeof express5)();
      app.use(health.express());
      return app as unknown as RequestListener;
    },
  ],
];

for (const [name, makeListener] of servers) {
  describe(`malformed requests on a real socket (${name})`, () => {
    let health: Health;
    let port: number;
    let close: () => Promise<void>;
    before(async () => {
      health = build();
      const srv = await listen(makeListener(health));
      port = Number(new URL(srv.url).port);
      close = srv.close;
    });
    after(async () => {
      health.stop();
      await close();
    });

    it('answers GET /readyz/%ZZ and /livez/%E0%A4%A with 400 JSON naming what is malformed', async () => {
      assertBadRequest(await rawRequest(port, get('/readyz/%ZZ')), '/readyz/%ZZ', /path "\/readyz\/%ZZ"/);
      assertBadRequest(await rawRequest(port, get('/livez/%E0%A4%A')), '/livez/%E0%A4%A', /"\/livez\/%E0%A4%A"/);
      assertBadRequest(await rawRequest(port, get('/readyz?exclude=%ZZ')), 'query', /query string "exclude=%ZZ"/);
      assertBadRequest(await rawRequest(port, get('/readyz/%C0%AF')), 'overlong', /in the path/);
      assertBadRequest(await rawRequest(port, get('http://x/livez/%ZZ')), 'absolute-form', /"\/livez\/%ZZ"/);
      const head = await rawRequest(port, 'HEAD /readyz/%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.deepEqual([head.status, head.body], [400, '']);
    });

    it('leaves a malformed path that is not a health path to the app', async () => {
      const res = await rawRequest(port, get('/api/%ZZ'));
      assert.notEqual(res.status, 400, res.body);
    });

    it('answers an absolute-form health target like its origin-form', async () => {
      const res = await rawRequest(port, get('http://x/readyz/db?verbose'));
      assert.deepEqual([res.status, res.body], [200, '[+]db ok\ndb check passed\n']);
    });

    it('survives every listed malformed target and header with a well-formed answer below 500', async () => {
      await pool(explicitCases(), 8, async ([what, bytes]) => {
        const head = typeof bytes === 'string' ? bytes.startsWith('HEAD') : bytes.subarray(0, 4).toString() === 'HEAD';
        assertAnswered(await rawRequest(port, bytes), what, head);
      });
      if (name === 'node:http') {
        assertBadRequest(
          await rawRequest(port, get('http://[/x')),
          'http://[/x',
          /"http:\/\/\[\/x" is not a valid URL/,
        );
      }
    });

    it('survives 400 seeded random targets under the health paths, and still answers /livez', async () => {
      const rand = seeded(0x5eed09);
      const cases = Array.from({ length: 400 }, () => randomTarget(rand));
      await pool(cases, 8, async (target) => {
        const bytes = Buffer.concat([
          Buffer.from('GET '),
          target,
          Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        ]);
        assertAnswered(await rawRequest(port, bytes), `seeded target ${JSON.stringify(target.toString('latin1'))}`);
      });
      const live = await rawRequest(port, get('/livez'));
      assert.deepEqual([live.status, live.body], [200, 'ok']);
    });
  });
}

describe('a bug in the handler', () => {
  it('becomes that request’s 500 JSON, without internals, and the server keeps serving', async () => {
    const boom = () => {
      throw new Error('secret internals');
    };
    const handle = createHandler({
      runner: { start() {}, stop() {}, calls: new Map(), cachedStatus: boom, cached: boom, outcomes: boom },
      paths: { health: '/healthcheck', live: '/livez', ready: '/readyz' },
      liveNames: [],
      readyNames: [],
      meta: {},
      details: 'never',
      isShuttingDown: () => false,
      now: () => new Date(),
    });
    const srv = await listen((req, res) => {
      if (!handle(req, res)) res.writeHead(418, { 'content-length': '0' }).end();
    });
    try {
      const port = Number(new URL(srv.url).port);
      for (let i = 0; i < 3; i++) {
        const res = await rawRequest(port, get('/readyz'));
        assert.equal(res.status, 500);
        assert.deepEqual(JSON.parse(res.body), { error: 'internal_error', message: 'the health handler failed' });
      }
      assert.equal((await rawRequest(port, get('/other'))).status, 418);
    } finally {
      await srv.close();
    }
  });
});
