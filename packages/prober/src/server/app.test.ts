import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { CheckResult } from '../domain/result.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { makeCheck } from '../testing/check.js';
import { createApi } from './app.js';
import { createMetrics } from './metrics.js';
import { OPENAPI } from './openapi.js';

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const phases = { dns: 0, connect: 1, tls: 0, ttfb: 2, transfer: 1, total: 4 };
const result = (check: string, at: number, ok: boolean, durationMs = 4): CheckResult => ({
  time: new Date(at).toISOString(),
  check,
  url: `http://${check}:3000/healthcheck`,
  status: ok ? 200 : 503,
  ok,
  durationMs,
  phases: { ...phases, total: durationMs },
  ...(ok ? {} : { error: { code: 'http_status' as const, message: 'status 503 is not in 200-399' } }),
});

describe('monitor API', () => {
  let store: Store;
  let dir: string;
  let server: http.Server;
  let base: string;
  const latest = new Map<string, CheckResult>();
  const metrics = createMetrics(() => latest);
  const health = createHealth({ checks: { store: () => store.ping() } });
  const checks = [
    // Runs hourly, as its history below: an hour-old newest result is current, not late.
    makeCheck({
      name: 'api',
      url: 'http://api:3000/healthcheck',
      schedule: { kind: 'every', intervalMs: HOUR },
      group: 'Core',
    }),
    makeCheck({ name: 'fresh', url: 'http://fresh:3000/' }),
    makeCheck({ name: 'down', url: 'http://down:3000/' }),
  ];
  const MINUTE = 60_000;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-api-'));
    store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    // 30 days of one run per hour for "api": the last 24 hours all pass, before that one in ten fails.
    const rows: CheckResult[] = [];
    for (let t = NOW - 30 * DAY; t < NOW; t += HOUR) {
      const i = Math.round((t - (NOW - 30 * DAY)) / HOUR);
      rows.push(result('api', t, t >= NOW - DAY || i % 10 !== 0, 10 + (i % 20)));
    }
    await store.write(rows);
    // "down": passes at -10m and -8m, fails at -9m, then fails from -7m on.
    await store.write(
      [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].map((m) => result('down', NOW - m * MINUTE, m === 10 || m === 8)),
    );
    await store.compact(NOW);
    // The newest run is in memory only (the batch writer has not written it yet).
    latest.set('down', result('down', NOW - 30_000, false));
    latest.set('api', rows.at(-1) as CheckResult);
    for (const r of rows.slice(-3)) metrics.observe(r);
    server = http.createServer(
      createApi({ checks: () => checks, latest: () => latest, store, metrics, health, now: () => NOW }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    health.stop();
    server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string): Promise<{ status: number; type: string | null; body: any }> => {
    const res = await fetch(`${base}${path}`);
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text(),
    };
  };

  it('GET /api/v1/checks: state, last result, uptime 24h/7d/30d and p95 for each configured check', async () => {
    const { status, body } = await get('/api/v1/checks');
    assert.equal(status, 200);
    const [api, fresh] = body.checks;
    assert.equal(api.name, 'api');
    assert.equal(api.state, 'up');
    assert.equal(api.lastResult.time, new Date(NOW - HOUR).toISOString());
    assert.equal(api.uptime['24h'], 1);
    assert.ok(api.uptime['30d'] > 0.89 && api.uptime['30d'] < 0.92, `30d uptime ${api.uptime['30d']}`);
    assert.ok(api.uptime['7d'] > 0.88 && api.uptime['7d'] < 1);
    assert.ok(api.p95Ms >= 20 && api.p95Ms <= 30 * 1.25);
    assert.deepEqual(
      [fresh.name, fresh.state, fresh.lastResult, fresh.uptime['24h']],
      ['fresh', 'unknown', null, null],
    );
    assert.deepEqual([api.group, fresh.group], ['Core', null]);
    assert.equal((await get('/api/v1/checks/api')).body.group, 'Core');
    assert.equal((await get('/api/v1/checks/fresh')).body.group, null);
  });

  it('GET /api/v1/checks/{name}/results pages newest first and links the next page', async () => {
    const first = await get('/api/v1/checks/api/results?limit=3');
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.results.map((r: CheckResult) => r.time),
      [1, 2, 3].map((h) => new Date(NOW - h * HOUR).toISOString()),
    );
    const next = await get(first.body.next);
    assert.equal(next.body.results[0].time, new Date(NOW - 4 * HOUR).toISOString());
    const window = await get(
      `/api/v1/checks/api/results?since=${new Date(NOW - 5 * HOUR).toISOString()}&until=${NOW - 2 * HOUR}`,
    );
    assert.equal(window.body.results.length, 3);
    assert.equal(window.body.next, null);
  });

  it('GET /api/v1/checks/{name}/uptime buckets the rollups', async () => {
    const { status, body } = await get('/api/v1/checks/api/uptime?window=7d&bucket=1d');
    assert.equal(status, 200);
    assert.equal(body.resolution, 'day');
    assert.equal(body.buckets.length, 8, 'the window is aligned to whole days');
    assert.equal(body.buckets.at(-1).uptime, 1);
    assert.equal(body.buckets.at(-1).count, 12);
    assert.deepEqual(body.buckets.at(-1).phases, { dns: 0, connect: 1, tls: 0, ttfb: 2, transfer: 1 }, 'phase means');
    const empty = await get('/api/v1/checks/fresh/uptime?window=1h');
    assert.ok(empty.body.buckets.length > 0);
    assert.ok(empty.body.buckets.every((b: { count: number; phases: unknown }) => b.count === 0 && b.phases === null));
    const hours = await get('/api/v1/checks/api/uptime?window=6h&bucket=1h');
    assert.equal(hours.body.resolution, 'hour');
    assert.deepEqual(
      hours.body.buckets.slice(0, 6).map((b: { count: number }) => b.count),
      [1, 1, 1, 1, 1, 1],
    );
  });

  it('answers bad parameters with 400 naming the parameter, unknown checks with 404', async () => {
    const cases: [string, number, RegExp][] = [
      ['/api/v1/checks/api/results?limit=0', 400, /limit must be a whole number from 1 to 1000/],
      ['/api/v1/checks/api/results?since=yesterday', 400, /since must be an ISO 8601 time or epoch milliseconds/],
      ['/api/v1/checks/api/uptime?window=2y', 400, /window must be a duration/],
      ['/api/v1/checks/api/uptime?bucket=90s', 400, /bucket must be a multiple of 1m/],
      ['/api/v1/checks/api/uptime?window=400d&bucket=1m', 400, /more than 10000 buckets/],
      ['/api/v1/checks/nope/results', 404, /no check named "nope"/],
      ['/api/v2/things', 404, /no route/],
    ];
    for (const [path, status, message] of cases) {
      const res = await get(path);
      assert.equal(res.status, status, path);
      assert.match(res.body.message, message, path);
    }
    assert.equal((await fetch(`${base}/api/v1/checks`, { method: 'DELETE' })).status, 405);
  });

  it('gives each check its newest failure and when its failing streak began (null when up)', async () => {
    const { body } = await get('/api/v1/checks');
    assert.equal(body.history, 'available');
    const [api, fresh, down] = body.checks;
    // api: the last 24 hours pass; before that every tenth hour failed.
    const lastApiFailure = (await store.resultsByOutcome('api', false, { limit: 1 }))[0];
    assert.ok(lastApiFailure && Date.parse(lastApiFailure.time) < NOW - DAY);
    assert.deepEqual([api.lastFailure, api.downSince], [lastApiFailure, null]);
    assert.deepEqual([fresh.lastFailure, fresh.downSince], [null, null]);
    assert.equal(down.state, 'down');
    assert.equal(down.lastFailure.time, new Date(NOW - 30_000).toISOString(), 'the newest failure, even unwritten');
    assert.equal(down.downSince, new Date(NOW - 7 * MINUTE).toISOString());
    const one = await get('/api/v1/checks/down');
    assert.equal(one.status, 200);
    assert.deepEqual(
      [one.body.history, one.body.lastFailure.time, one.body.downSince],
      ['available', new Date(NOW - 30_000).toISOString(), new Date(NOW - 7 * MINUTE).toISOString()],
    );
    assert.deepEqual([(await get('/api/v1/checks/api')).body.downSince], [null]);
  });

  it('?ok=false pages through failures only, and next stays on failures; ?ok=true gives passes', async () => {
    const minutes = (page: { results: CheckResult[] }) => page.results.map((r) => (NOW - Date.parse(r.time)) / MINUTE);
    const first = await get('/api/v1/checks/down/results?ok=false&limit=3');
    assert.equal(first.status, 200);
    assert.deepEqual(minutes(first.body), [1, 2, 3]);
    assert.match(first.body.next, /[?&]ok=false(&|$)/);
    const second = await get(first.body.next);
    assert.deepEqual(minutes(second.body), [4, 5, 6]);
    const third = await get(second.body.next);
    assert.deepEqual(minutes(third.body), [7, 9]);
    assert.equal(third.body.next, null);
    assert.ok(third.body.results.every((r: CheckResult) => !r.ok && r.error?.code === 'http_status'));
    assert.deepEqual(minutes((await get('/api/v1/checks/down/results?ok=true')).body), [8, 10]);
    assert.deepEqual(
      minutes(
        (await get(`/api/v1/checks/down/results?ok=false&since=${NOW - 5 * MINUTE}&until=${NOW - 2 * MINUTE}`)).body,
      ),
      [3, 4, 5],
    );
  });

  it('uptime without a bucket picks one that fits the window, and says how much of the window has data', async () => {
    const cases: [string, string, string, number][] = [
      ['/api/v1/checks/api/uptime?window=1h', '1m', 'minute', 61],
      ['/api/v1/checks/api/uptime?window=6h', '1m', 'minute', 361],
      ['/api/v1/checks/api/uptime?window=24h', '1h', 'hour', 25],
      ['/api/v1/checks/api/uptime?window=7d', '1d', 'day', 8],
      ['/api/v1/checks/api/uptime', '1d', 'day', 31],
      ['/api/v1/checks/api/uptime?window=400d', '1d', 'day', 401],
    ];
    for (const [path, bucket, resolution, count] of cases) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.deepEqual(
        [res.body.bucket, res.body.resolution, res.body.buckets.length],
        [bucket, resolution, count],
        path,
      );
    }
    // api ran once an hour: in the last hour one minute-bucket holds a result; in the last day every hour does.
    const hour = (await get('/api/v1/checks/api/uptime?window=1h')).body;
    assert.deepEqual([hour.coverage, hour.dataSince], [0.016667, new Date(NOW - HOUR).toISOString()]);
    const day = (await get('/api/v1/checks/api/uptime?window=24h')).body;
    assert.deepEqual([day.coverage, day.dataSince, day.uptime], [1, new Date(NOW - DAY).toISOString(), 1]);
    // api's history starts 30 days ago at noon: a 400-day window is mostly empty (counted in whole day-buckets).
    const long = (await get('/api/v1/checks/api/uptime?window=400d')).body;
    assert.equal(long.coverage, 30.5 / 400);
    assert.equal(long.dataSince, new Date(NOW - 30 * DAY - 12 * HOUR).toISOString());
    const down = (await get('/api/v1/checks/down/uptime?window=1h')).body;
    assert.deepEqual([down.coverage, down.dataSince], [0.166667, new Date(NOW - 10 * MINUTE).toISOString()]);
    const fresh = (await get('/api/v1/checks/fresh/uptime?window=1h')).body;
    assert.deepEqual([fresh.coverage, fresh.dataSince, fresh.uptime], [0, null, null]);
  });

  it('takes limit only as plain decimal digits in range, and refuses unknown or repeated parameters', async () => {
    for (const limit of ['1e3', '0x10', '%205', '5%20', '5.0', '+5', '-1', '', '1001', '0', '00000000000000000005'])
      assert.match(
        (await get(`/api/v1/checks/api/results?limit=${limit}`)).body.message,
        /^limit must be a whole number from 1 to 1000 in decimal digits, got /,
        limit,
      );
    assert.equal((await get('/api/v1/checks/api/results?limit=007')).body.results.length, 7);
    const unknown: [string, string][] = [
      ['/api/v1/checks?verbose', 'unknown query parameter "verbose": this route takes none'],
      ['/api/v1/checks/api?x=1', 'unknown query parameter "x": this route takes none'],
      ['/api/v1/checks/api/results?limt=5', 'unknown query parameter "limt": this route takes since, until, limit, ok'],
      ['/api/v1/checks/api/uptime?windw=1h', 'unknown query parameter "windw": this route takes window, bucket'],
      ['/metrics?name=x', 'unknown query parameter "name": this route takes none'],
    ];
    for (const [path, message] of unknown) {
      const res = await get(path);
      assert.deepEqual([res.status, res.body.error, res.body.message], [400, 'unknown_parameter', message], path);
    }
    const twice = await get('/api/v1/checks/api/results?limit=5&limit=6');
    assert.deepEqual([twice.status, twice.body.message], [400, 'limit is given 2 times; give it once']);
    const ok = await get('/api/v1/checks/api/results?ok=no');
    assert.deepEqual(
      [ok.status, ok.body.message],
      [400, 'ok must be true (passes only) or false (failures only), got "no"'],
    );
    for (const since of ['1', 'March 7', '2026-13-45', ' 2026-06-30'])
      assert.equal(
        (await get(`/api/v1/checks/api/results?since=${encodeURIComponent(since)}`)).status,
        since === '1' ? 200 : 400,
        since,
      );
    assert.equal((await get('/api/v1/checks/api/uptime?window=%201h')).status, 400, 'a padded duration');
  });

  it('serves Prometheus metrics with the documented names', async () => {
    const { status, body, type } = await get('/metrics');
    assert.equal(status, 200);
    assert.match(String(type), /^text\/plain/);
    for (const line of [
      'lifeline_check_up{check="api"} 1',
      'lifeline_check_status_code{check="api"} 200',
      'lifeline_check_results_total{check="api",outcome="up"} 3',
      'lifeline_check_duration_seconds{check="api",phase="ttfb"} 0.002',
    ]) {
      assert.ok((body as string).includes(line), `metrics include ${line}`);
    }
    assert.match(body as string, /# TYPE lifeline_scheduler_lag_seconds histogram/);
    assert.ok(!(body as string).includes('check="fresh"'), 'no series for a check that has not run');
  });

  it('serves its own /livez and /readyz, and an OpenAPI document listing every route', async () => {
    assert.equal((await get('/livez')).body, 'ok');
    assert.equal((await get('/readyz')).body, 'ok');
    const doc = await get('/api/openapi.json');
    assert.equal(doc.body.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.body.paths).sort(), Object.keys(OPENAPI.paths).sort());
    for (const path of [
      '/api/v1/checks',
      '/api/v1/checks/{name}',
      '/api/v1/checks/{name}/results',
      '/api/v1/checks/{name}/uptime',
      '/metrics',
      '/livez',
      '/readyz',
    ]) {
      assert.ok(path in doc.body.paths, path);
      const res = await get(path.replace('{name}', 'api'));
      assert.equal(res.status, 200, path);
    }
  });
});
