// Issue #12: GET /api/v1/overview, the 90-day uptime bar and 24-hour latency
// line of each dashboard row, from rollups made by the store's own path
// (write, then compact) in SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { CheckResult } from '../domain/result.js';
import { BIN_BOUNDS, binOf } from '../domain/rollup.js';
import type { Store } from '../store/store.js';
import { makeCheck } from '../testing/check.js';
import { describeEachStore } from '../testing/store-backends.js';
import { createApiServer } from './app.js';
import { createMetrics } from './metrics.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.parse('2026-06-30T12:30:00.000Z');
const TODAY = Date.parse('2026-06-30T00:00:00.000Z');
const THIS_HOUR = Date.parse('2026-06-30T12:00:00.000Z');

const result = (check: string, at: number, ok: boolean, durationMs: number): CheckResult => ({
  time: new Date(at).toISOString(),
  check,
  url: `http://${check}:3000/`,
  status: ok ? 200 : 503,
  ok,
  durationMs,
  phases: { dns: 0, connect: 0, tls: 0, ttfb: durationMs, transfer: 0, total: durationMs },
  ...(ok ? {} : { error: { code: 'http_status' as const, message: 'status 503 is not in 200-399' } }),
});

// "api": one run a day at 00:30 for 100 days (every 7th fails), and one run
// an hour at :05 for the last 30 hours (10 + hours ago ms); the hour 3 hours
// ago has a second run of 100 ms.
const daily = Array.from({ length: 100 }, (_, d) => result('ov-api', TODAY - d * DAY + 30 * 60_000, d % 7 !== 3, 5));
const hourly = Array.from({ length: 30 }, (_, h) => result('ov-api', THIS_HOUR - h * HOUR + 5 * 60_000, true, 10 + h));
const extra = result('ov-api', THIS_HOUR - 3 * HOUR + 20 * 60_000, false, 100);
const all = [...daily, ...hourly, extra];

async function startApi(store: Store | undefined) {
  const latest = new Map<string, CheckResult>();
  const health = createHealth({ checks: {} });
  const server: http.Server = createApiServer({
    checks: () => [makeCheck({ name: 'ov-api' }), makeCheck({ name: 'ov-idle' })],
    latest: () => latest,
    ...(store ? { store } : {}),
    metrics: createMetrics(() => latest),
    health,
    now: () => NOW,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path: string) {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, body: (await res.json()) as any };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describeEachStore('GET /api/v1/overview', (backend) => {
  let api: Awaited<ReturnType<typeof startApi>>;
  before(async () => {
    if (backend.skip) return;
    await backend.store.write(all);
    await backend.store.compact(NOW);
    api = await startApi(backend.store);
  });
  after(async () => {
    await api?.close();
  });

  it('gives 90 days of daily uptime and 24 hours of p50/p95, oldest first, from the rollups', {
    skip: backend.skip,
  }, async () => {
    const { status, body } = await api.get('/api/v1/overview?checks=ov-api');
    assert.equal(status, 200);
    assert.equal(body.days, 90);
    assert.deepEqual(Object.keys(body.checks), ['ov-api']);
    const { daily: days, hourly: hours } = body.checks['ov-api'];

    assert.equal(days.length, 90);
    assert.deepEqual(
      days.map((b: { start: string }) => b.start),
      Array.from({ length: 90 }, (_, i) => new Date(TODAY - (89 - i) * DAY).toISOString()),
    );
    for (const [i, bucket] of days.entries()) {
      const start = TODAY - (89 - i) * DAY;
      const runs = all.filter((r) => Date.parse(r.time) >= start && Date.parse(r.time) < start + DAY);
      const passed = runs.filter((r) => r.ok).length;
      assert.deepEqual(
        bucket,
        { start: new Date(start).toISOString(), uptime: runs.length ? passed / runs.length : null, count: runs.length },
        `day ${i}`,
      );
    }
    // Spot checks of the arithmetic above: 3 days ago is a failing day with a single run.
    assert.deepEqual([days[86].count, days[86].uptime], [1, 0]);
    // Today: the 00:30 run and 13 hourly runs (00:05 to 12:05), one of them with a failing second run.
    assert.deepEqual([days[89].count, days[89].uptime], [15, 14 / 15]);

    assert.equal(hours.length, 24);
    for (const [i, bucket] of hours.entries()) {
      const hoursAgo = 23 - i;
      const start = THIS_HOUR - hoursAgo * HOUR;
      // A percentile is its histogram bin's upper bound, capped at the largest run.
      const expected =
        hoursAgo === 3
          ? { p50Ms: Math.min(BIN_BOUNDS[binOf(13)] as number, 100), p95Ms: 100, count: 2 }
          : start === TODAY // the daily run at 00:30 (5 ms) too
            ? { p50Ms: Math.min(BIN_BOUNDS[binOf(5)] as number, 22), p95Ms: 22, count: 2 }
            : { p50Ms: 10 + hoursAgo, p95Ms: 10 + hoursAgo, count: 1 };
      assert.deepEqual(bucket, { start: new Date(start).toISOString(), ...expected }, `hour ${i}`);
    }
  });

  it('lists the checks in the order asked, once each; one without runs has empty buckets', {
    skip: backend.skip,
  }, async () => {
    const { status, body } = await api.get('/api/v1/overview?checks=ov-idle,ov-api,ov-idle');
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body.checks), ['ov-idle', 'ov-api']);
    const idle = body.checks['ov-idle'];
    assert.equal(idle.daily.length, 90);
    assert.equal(idle.hourly.length, 24);
    assert.ok(idle.daily.every((b: any) => b.count === 0 && b.uptime === null));
    assert.ok(idle.hourly.every((b: any) => b.count === 0 && b.p50Ms === null && b.p95Ms === null));
    assert.equal(idle.daily[0].start, body.checks['ov-api'].daily[0].start);
  });

  it('refuses a missing, empty, malformed or too long list with 400, and an unknown check with 404', {
    skip: backend.skip,
  }, async () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`).join(',');
    const cases: [string, number, string, RegExp][] = [
      ['', 400, 'bad_parameter', /^checks is required: 1 to 100 check names, comma-separated$/],
      ['?checks=', 400, 'bad_parameter', /empty name at position 1/],
      ['?checks=ov-api,', 400, 'bad_parameter', /empty name at position 2/],
      ['?checks=ov-api,a%20b', 400, 'bad_parameter', /"a b" at position 2, which is not a check name/],
      [`?checks=${names(101)}`, 400, 'bad_parameter', /checks names 101 checks; at most 100/],
      ['?checks=ov-api&checks=ov-idle', 400, 'bad_parameter', /checks is given 2 times/],
      ['?check=ov-api', 400, 'unknown_parameter', /this route takes checks$/],
      ['?checks=ov-api,nope', 404, 'not_found', /no check named "nope"/],
      [`?checks=${names(100)}`, 404, 'not_found', /no check named "c0"/],
    ];
    for (const [query, status, code, message] of cases) {
      const res = await api.get(`/api/v1/overview${query}`);
      assert.deepEqual([res.status, res.body.error], [status, code], query);
      assert.match(res.body.message, message, query);
    }
  });
});

it('GET /api/v1/overview without a store: 503 no_store', async () => {
  const api = await startApi(undefined);
  try {
    const res = await api.get('/api/v1/overview?checks=ov-api');
    assert.deepEqual([res.status, res.body.error], [503, 'no_store']);
  } finally {
    await api.close();
  }
});
