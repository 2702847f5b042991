import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createHealth } from '@lifeline/health';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { createApi } from './app.js';
import { GZIP_MIN_BYTES } from './errors.js';
import { createMetrics } from './metrics.js';

/** Raw bytes and headers of a GET, with the Accept-Encoding given (fetch would decode the body itself). */
function get(base: string, path: string, acceptEncoding?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.once('error', reject);
    });
  });
}

describe('JSON answers are gzipped for clients that accept it', () => {
  let server: http.Server;
  let base: string;
  const checks = Array.from({ length: 200 }, (_, i) => makeCheck({ name: `svc-${i}`, url: `http://svc-${i}:3000/` }));
  const latest = new Map<string, CheckResult>();
  before(async () => {
    const metrics = createMetrics(() => latest);
    const health = createHealth({});
    server = http.createServer(createApi({ checks: () => checks, latest: () => latest, metrics, health }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('compresses a large body when gzip is accepted, to the same JSON', async () => {
    const plain = await get(base, '/api/v1/checks');
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.ok(plain.body.length >= GZIP_MIN_BYTES, `the list is ${plain.body.length} bytes`);
    const zipped = await get(base, '/api/v1/checks', 'gzip, deflate, br, zstd');
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'Accept-Encoding');
    assert.equal(Number(zipped.headers['content-length']), zipped.body.length);
    assert.ok(zipped.body.length < plain.body.length / 4);
    assert.deepEqual(JSON.parse(gunzipSync(zipped.body).toString('utf8')), JSON.parse(plain.body.toString('utf8')));
  });

  it('sends a small body, or one to a client refusing gzip, as it is', async () => {
    const small = await get(base, '/api/v1/checks/svc-1', 'gzip');
    assert.equal(small.status, 200);
    assert.equal(small.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(small.body.toString('utf8')).name, 'svc-1');
    const refused = await get(base, '/api/v1/checks', 'gzip;q=0, identity');
    assert.equal(refused.headers['content-encoding'], undefined);
    assert.equal(JSON.parse(refused.body.toString('utf8')).checks.length, 200);
  });
});
