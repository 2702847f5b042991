import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis as IORedis } from 'ioredis';
import pg from 'pg';
import { createClient } from 'redis';
import { createHealth, type HealthOptions } from '../health.js';
import { closedPort, listen, serviceMissing } from '../testing/helpers.js';
import { httpCheck } from './http.js';
import { postgresCheck } from './postgres.js';
import { eventLoopDelayCheck, memoryCheck } from './process.js';
import { redisCheck } from './redis.js';
import { tcpCheck } from './tcp.js';

const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function readiness(checks: HealthOptions['checks']) {
  const health = createHealth({ checks, details: 'always' });
  const report = await health.report();
  health.stop();
  return report;
}

describe('postgresCheck against a real PostgreSQL', async () => {
  const skip = await serviceMissing('PostgreSQL', '127.0.0.1', 5432);
  let up: pg.Pool;
  let down: pg.Pool;
  before(async () => {
    up = new pg.Pool({ connectionString: PG_URL, max: 2 });
    down = new pg.Pool({
      host: '127.0.0.1',
      port: await closedPort(),
      user: 'postgres',
      database: 'test',
      connectionTimeoutMillis: 500,
      max: 1,
    });
  });
  after(async () => {
    await up?.end();
    await down?.end();
  });

  it('passes when the database answers, reporting latency in ms', { skip }, async () => {
    const report = await readiness({ postgres: postgresCheck(up) });
    const [entry] = report.checks['postgres:responseTime'] ?? [];
    assert.equal(report.status, 'pass');
    assert.deepEqual([entry?.status, entry?.componentType, entry?.observedUnit], ['pass', 'datastore', 'ms']);
    assert.equal(typeof entry?.observedValue, 'number');
  });

  it('fails (critical) when the database cannot be reached', { skip }, async () => {
    const report = await readiness({ postgres: postgresCheck(down) });
    assert.equal(report.status, 'fail');
    assert.match(report.checks['postgres:responseTime']?.[0]?.output ?? '', /ECONNREFUSED/);
  });

  it('warns (non-critical) when the database cannot be reached', { skip }, async () => {
    const report = await readiness({ postgres: postgresCheck(down, { critical: false }) });
    assert.equal(report.status, 'warn');
  });
});

describe('redisCheck against a real Redis', async () => {
  const skip = await serviceMissing('Redis', '127.0.0.1', 6379);

  it('passes with node-redis and with ioredis', { skip }, async () => {
    const nodeRedis = createClient({ url: REDIS_URL });
    await nodeRedis.connect();
    const io = new IORedis(REDIS_URL, { lazyConnect: false });
    try {
      const report = await readiness({ a: redisCheck(nodeRedis), b: redisCheck(io) });
      assert.equal(report.status, 'pass', JSON.stringify(report));
    } finally {
      await nodeRedis.quit();
      io.disconnect();
    }
  });

  it('fails when Redis cannot be reached (node-redis rejects, ioredis times out)', { skip }, async () => {
    const port = await closedPort();
    const nodeRedis = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect().catch(() => {});
    const io = new IORedis({
      host: '127.0.0.1',
      port,
      retryStrategy: () => null,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    io.on('error', () => {});
    try {
      const report = await readiness({
        a: redisCheck(nodeRedis, { timeout: 500 }),
        b: redisCheck(io, { timeout: 500, critical: false }),
      });
      assert.equal(report.status, 'fail');
      assert.equal(report.checks['a:responseTime']?.[0]?.status, 'fail');
      assert.equal(report.checks['b:responseTime']?.[0]?.status, 'fail');
    } finally {
      io.disconnect();
    }
  });

  it('rejects something that is not a client', () => {
    assert.throws(() => redisCheck({} as never), TypeError);
    assert.throws(() => postgresCheck(null as never), TypeError);
  });
});

describe('httpCheck and tcpCheck against loopback servers', () => {
  let target: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    target = await listen((req, res) => {
      if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/health+json' }).end('{"status":"pass"}');
      else if (req.url === '/warn')
        res.writeHead(200, { 'content-type': 'application/health+json' }).end('{"status":"warn"}');
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(), 2_000);
      else res.writeHead(500).end();
    });
  });
  after(() => target.close());

  it('passes, warns and fails by status code and health+json body', async () => {
    const report = await readiness({
      ok: httpCheck(`${target.url}/ok`),
      warn: httpCheck(`${target.url}/warn`),
      broken: httpCheck(`${target.url}/broken`, { critical: false }),
      slow: httpCheck(`${target.url}/slow`, { timeout: 200, critical: false }),
    });
    const status = (k: string) => report.checks[`${k}:responseTime`]?.[0]?.status;
    assert.deepEqual(['ok', 'warn', 'broken', 'slow'].map(status), ['pass', 'warn', 'fail', 'fail']);
    assert.match(report.checks['broken:responseTime']?.[0]?.output ?? '', /answered 500/);
    assert.match(report.checks['slow:responseTime']?.[0]?.output ?? '', /timed out after 200ms|aborted/);
    assert.equal(report.status, 'warn');
  });

  it('tcpCheck connects, and fails on a closed port', async () => {
    const port = Number(new URL(target.url).port);
    const report = await readiness({
      open: tcpCheck('127.0.0.1', port),
      closed: tcpCheck('127.0.0.1', await closedPort()),
    });
    assert.equal(report.checks['open:responseTime']?.[0]?.status, 'pass');
    assert.match(report.checks['closed:responseTime']?.[0]?.output ?? '', /ECONNREFUSED/);
  });

  it('rejects bad arguments', () => {
    assert.throws(() => httpCheck('ftp://x'), TypeError);
    assert.throws(() => tcpCheck('x', 70_000), TypeError);
  });
});

describe('process checks', () => {
  it('eventLoopDelayCheck warns after the loop was blocked', async () => {
    const check = eventLoopDelayCheck({ warnMs: 50, failMs: 10_000 });
    const health = createHealth({ checks: { loop: check }, cacheTtl: 60_000, details: 'always' });
    await health.report(); // first run enables the monitor
    await new Promise((r) => setTimeout(r, 30));
    const end = Date.now() + 150;
    while (Date.now() < end) {
      // block the event loop on purpose
    }
    await new Promise((r) => setTimeout(r, 30));
    const entry = (await readiness({ loop: { ...check } })).checks['loop:delay']?.[0];
    health.stop();
    assert.equal(entry?.status, 'warn');
    assert.equal(entry?.observedUnit, 'ms');
    assert.ok(Number(entry?.observedValue) >= 50);
  });

  it('memoryCheck compares RSS and heap with thresholds and reports MiB', async () => {
    const report = await readiness({
      roomy: memoryCheck({ maxRssBytes: 64 * 1024 ** 3 }),
      tight: memoryCheck({ maxHeapUsedBytes: 1024 }),
    });
    assert.equal(report.checks['roomy:utilization']?.[0]?.status, 'pass');
    assert.equal(report.checks['roomy:utilization']?.[0]?.observedUnit, 'MiB');
    assert.equal(report.checks['tight:utilization']?.[0]?.status, 'fail');
    assert.match(report.checks['tight:utilization']?.[0]?.output ?? '', /heap used .* MiB > 0 MiB/);
    assert.equal(report.status, 'warn', 'memory is non-critical by default');
    assert.throws(() => memoryCheck({}), TypeError);
  });
});
