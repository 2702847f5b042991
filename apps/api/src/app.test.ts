import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import { pino } from 'pino';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

describe('api app', () => {
  let server: Server;
  let base: string;
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
    const app = createApp({ serviceId: 'api', version: '1.2.3', logger: pino(sink), health });
    server = app.listen(0, '127.0.0.1');
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

  it('logs one JSON line per request, health paths included', async () => {
    const count = logLines.length;
    await (await fetch(`${base}/healthcheck`)).text();
    await new Promise((r) => setImmediate(r));
    const added = logLines.slice(count);
    assert.equal(added.length, 1);
    const line = added[0] as {
      req: { method: string; url: string };
      res: { statusCode: number };
      responseTime: number;
    };
    assert.deepEqual([line.req.method, line.req.url, line.res.statusCode], ['GET', '/healthcheck', 200]);
    assert.equal(typeof line.responseTime, 'number');
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
  it('names the variable that is wrong', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }, '0'), /PORT must be an integer from 0 to 65535, got "eighty"/);
    assert.throws(() => loadConfig({ SHUTDOWN_DELAY_MS: '-1' }, '0'), /SHUTDOWN_DELAY_MS must be an integer/);
  });
});
