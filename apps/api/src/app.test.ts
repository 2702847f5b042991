import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createHealth, type Health } from '@lifeline/health';
import { type Logger, pino } from 'pino';
import { type Raw, rawRequest } from '../../../packages/health/src/testing/raw-http.js';
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { toErrorBody } from './errors.js';

describe('api app', () => {
  let server: Server;
  let base: string;
  let logger: Logger;
  const logLines: Record<string, unknown>[] = [];
  const health = createHealth({
    serviceId: 'api',
    version: '1.2.3',
    releaseId: 'r42',
    checks: { db: () => undefined },
  });

  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    // The health dependency is real; its middleware is wrapped so one path can throw like a buggy route.
    const throwing: Health = {
      ...health,
      express: () => {
        const inner = health.express();
        return (req, res, next) => {
          if (req.url === '/boom') throw new Error('secret internals at /srv/app.js:12');
          inner(req, res, next);
        };
      },
    };
    logger = pino(sink);
    const app = createApp({ serviceId: 'api', version: '1.2.3', logger, health: throwing });
    server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    health.stop();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers GET /healthcheck with 200 application/health+json from @lifeline/health', async () => {
    const res = await fetch(`${base}/healthcheck`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/health+json');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual([body.status, body.version, body.releaseId, body.serviceId], ['pass', '1.2.3', 'r42', 'api']);
    assert.ok((body.checks as Record<string, unknown>)['db:responseTime']);
  });

  it('serves /livez and /readyz', async () => {
    assert.equal(await (await fetch(`${base}/livez`)).text(), 'ok');
    assert.equal((await fetch(`${base}/readyz?verbose`)).status, 200);
  });

  it('answers its own route and a JSON 404 for the rest', async () => {
    assert.deepEqual(await (await fetch(`${base}/`)).json(), { service: 'api', version: '1.2.3' });
    const res = await fetch(`${base}/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'not_found', message: 'no route for GET /nope' });
  });

  const port = () => (server.address() as AddressInfo).port;
  const get = (target: string, method = 'GET') =>
    rawRequest(port(), `${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  const assertJsonError = (res: Raw, status: number, error: string, message: RegExp) => {
    assert.equal(res.status, status, res.body);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = JSON.parse(res.body) as { error: string; message: string };
    assert.equal(body.error, error);
    assert.match(body.message, message);
  };

  it('answers a malformed path, query or request line with 400 JSON, never a stack or a 500 (issue #9)', async () => {
    assertJsonError(await get('/readyz/%ZZ'), 400, 'bad_request', /path "\/readyz\/%ZZ"/);
    assertJsonError(await get('/livez/%E0%A4%A'), 400, 'bad_request', /"\/livez\/%E0%A4%A"/);
    assertJsonError(await get('/%ZZ'), 400, 'bad_request', /malformed percent-encoding in the path "\/%ZZ"/);
    assertJsonError(await get('/?q=%E0%A4%A'), 400, 'bad_request', /query string "q=%E0%A4%A"/);
    assertJsonError(await get('http://[/x'), 400, 'bad_request', /"http:\/\/\[\/x" is not a valid URL/);
    assertJsonError(await get('http://[/x', 'POST'), 400, 'bad_request', /not a valid URL/);
    assertJsonError(await get('*'), 404, 'not_found', /no route for GET \*/);
    const absolute = await get('http://x/');
    assert.deepEqual([absolute.status, JSON.parse(absolute.body)], [200, { service: 'api', version: '1.2.3' }]);
    const lines = logLines.filter((l) => (l.req as { url?: string } | undefined)?.url === 'http://[/x');
    assert.equal(lines.length, 2, 'a request Express cannot route is still logged');
  });

  it('answers a failing route with a generic 500 JSON and logs the error with its stack', async () => {
    const count = logLines.length;
    const res = await get('/boom');
    assertJsonError(res, 500, 'internal_error', /^internal server error$/);
    assert.ok(!res.body.includes('secret') && !res.body.includes('at '), res.body);
    const logged = logLines.slice(count).find((l) => l.msg === 'request failed') as { err?: { stack?: string } };
    assert.match(logged?.err?.stack ?? '', /secret internals/);
  });

  it('survives a burst of malformed targets, all answered below 500 without a stack', async () => {
    const targets = [
      '/readyz/%ZZ',
      '/livez/%E0%A4%A',
      '/%',
      '/%C0%AF',
      '/%ED%A0%80',
      '/a%00b',
      '/?%',
      '/?a=%ZZ&b',
      `/${'%'.repeat(3_000)}`,
      '//%ZZ',
      'http://%zz/',
      'https://u:p@[::1/x',
      'http://x/%ZZ',
      'http://x/readyz/%ZZ',
      'x.example:443',
      '/readyz?exclude=%ZZ&verbose',
    ];
    for (const t of targets) {
      for (const method of ['GET', 'HEAD', 'POST', 'DELETE']) {
        const res = await get(t, method);
        assert.ok(res.status < 500, `${method} ${t}: ${res.status} ${res.body}`);
        assert.ok(!/\bat .+:\d+:\d+/.test(res.body), `${method} ${t} shows a stack: ${res.body}`);
      }
    }
    assert.equal((await get('/livez')).body, 'ok');
  });

  it('answers kubelet probes without an info access-log line; at debug, one line each; other requests keep theirs (issue 14)', async () => {
    const count = logLines.length;
    for (const path of ['/livez', '/readyz']) {
      const res = await fetch(`${base}${path}`);
      assert.deepEqual([res.status, await res.text()], [200, 'ok']);
    }
    assert.equal((await fetch(`${base}/readyz`, { method: 'HEAD' })).status, 200);
    await (await fetch(`${base}/`)).text();
    await new Promise((r) => setImmediate(r));
    const urls = logLines.slice(count).map((l) => [l.level, (l.req as { url?: string } | undefined)?.url]);
    assert.deepEqual(urls, [[30, '/']], 'only the normal request is logged, at info');

    logger.level = 'debug';
    try {
      const before = logLines.length;
      await (await fetch(`${base}/livez`)).text();
      await new Promise((r) => setImmediate(r));
      const added = logLines.slice(before) as { level: number; req: { url: string }; res: { statusCode: number } }[];
      assert.deepEqual(
        added.map((l) => [l.level, l.req.url, l.res.statusCode]),
        [[20, '/livez', 200]],
      );
    } finally {
      logger.level = 'info';
    }
  });

  it('logs one JSON line per request, /healthcheck and a probe with a query included', async () => {
    const count = logLines.length;
    await (await fetch(`${base}/healthcheck`)).text();
    await new Promise((r) => setImmediate(r));
    const added = logLines.slice(count);
    assert.equal(added.length, 1);
    await (await fetch(`${base}/readyz?verbose`)).text();
    await new Promise((r) => setImmediate(r));
    assert.equal(logLines.length, count + 2, 'a person asking /readyz?verbose is logged');
    const line = added[0] as {
      req: { method: string; url: string };
      res: { statusCode: number };
      responseTime: number;
    };
    assert.deepEqual([line.req.method, line.req.url, line.res.statusCode], ['GET', '/healthcheck', 200]);
    assert.equal(typeof line.responseTime, 'number');
  });
});

describe('toErrorBody', () => {
  it('keeps client errors from Express and its parsers, hides everything else', () => {
    const decodeParam = Object.assign(new Error("Failed to decode param '%ZZ'"), { status: 400, expose: true });
    assert.deepEqual(toErrorBody(decodeParam).body, { error: 'bad_request', message: "Failed to decode param '%ZZ'" });
    const tooLarge = Object.assign(new Error('request entity too large'), { statusCode: 413, expose: true });
    assert.deepEqual([toErrorBody(tooLarge).status, toErrorBody(tooLarge).body.error], [413, 'payload_too_large']);
    const hidden = Object.assign(new Error('internal detail'), { status: 422, expose: false });
    assert.deepEqual(toErrorBody(hidden).body, { error: 'client_error', message: 'Unprocessable Entity' });
    assert.deepEqual(toErrorBody(new URIError('URI malformed')).status, 400);
    for (const error of [new Error('db password is hunter2'), 'a string', undefined, { status: 503 }]) {
      assert.deepEqual(toErrorBody(error), {
        status: 500,
        body: { error: 'internal_error', message: 'internal server error' },
        expected: false,
      });
    }
  });
});

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({}, '0.1.0');
    assert.deepEqual(
      [config.port, config.host, config.serviceId, config.version, config.shutdownDelayMs, config.databaseUrl],
      [3000, undefined, 'api', '0.1.0', 5000, undefined],
    );
  });
  it('takes LOG_LEVEL, info by default', () => {
    assert.equal(loadConfig({}, '0').logLevel, 'info');
    assert.equal(loadConfig({ LOG_LEVEL: 'debug' }, '0').logLevel, 'debug');
    assert.throws(
      () => loadConfig({ LOG_LEVEL: 'loud' }, '0'),
      /LOG_LEVEL must be one of fatal, error, .*, got "loud"/,
    );
  });
  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }, '0'), /PORT must be an integer from 0 to 65535, got "eighty"/);
    assert.throws(() => loadConfig({ SHUTDOWN_DELAY_MS: '-1' }, '0'), /SHUTDOWN_DELAY_MS must be an integer/);
  });
});
