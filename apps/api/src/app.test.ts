import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createApp } from './app.js';

describe('api app', () => {
  let server: Server;
  let base: string;
  const logLines: Record<string, unknown>[] = [];

  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const app = createApp({
      serviceId: 'api',
      version: '1.2.3',
      releaseId: 'r42',
      logger: pino(sink),
      now: () => new Date('2026-01-02T08:00:00.000Z'),
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers GET /healthcheck with 200 application/health+json', async () => {
    const res = await fetch(`${base}/healthcheck`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/health\+json/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), {
      status: 'pass',
      version: '1.2.3',
      releaseId: 'r42',
      serviceId: 'api',
      description: 'the Lifeline example api',
      time: '2026-01-02T08:00:00.000Z',
    });
  });

  it('matches /healthcheck with a query string', async () => {
    assert.equal((await fetch(`${base}/healthcheck?verbose`)).status, 200);
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await fetch(`${base}/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'not_found', message: 'no route for GET /nope' });
  });

  it('logs one JSON line per request', async () => {
    const before = logLines.length;
    await (await fetch(`${base}/healthcheck`)).text();
    await new Promise((r) => setImmediate(r));
    const added = logLines.slice(before);
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
