// Issue #12: shields-style badges of a check (badge-maker), from memory (status)
// and from the rollups of a real store (uptime, response time).
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
import { findAll, parseXml, textOf, type XmlElement } from '../testing/xml.js';
import { type ApiDeps, createApi } from './app.js';
import { createMetrics } from './metrics.js';
import { latencyColour, matchesEtag, uptimeColour } from './routes/badges.js';

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** badge-maker 6's named colours, as the SVG has them (badge-maker/lib/color.js). */
const HEX = {
  brightgreen: '#4b0',
  yellow: '#d8b800',
  orange: '#ea7233',
  red: '#dd4343',
  blue: '#007ec6',
  lightgrey: '#939393',
};

const result = (check: string, at: number, ok: boolean, durationMs = 10, extra: Partial<CheckResult> = {}) => ({
  time: new Date(at).toISOString(),
  check,
  url: `http://${check}:3000/`,
  status: ok ? 200 : 503,
  ok,
  durationMs,
  phases: { dns: 0, connect: 1, tls: 0, ttfb: durationMs - 1, transfer: 0, total: durationMs },
  ...extra,
});

/** api: a run an hour for 30 days; every 10th fails; durations 10..29 ms. */
const RUNS = Array.from({ length: 30 * 24 }, (_, i) =>
  result('api', NOW - 30 * DAY + i * HOUR, i % 10 !== 0, 10 + (i % 20)),
);

interface Badge {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** The parsed SVG (a 200 only). */
  readonly svg?: XmlElement;
}

async function startApi(overrides: Partial<ApiDeps>, latest: Map<string, CheckResult>) {
  const health = createHealth({ checks: {} });
  const server = http.createServer(
    createApi({
      checks: () => ['api', 'web', 'busy', 'calm', 'fresh'].map((name) => makeCheck({ name })),
      latest: () => latest,
      metrics: createMetrics(() => latest),
      health,
      now: () => NOW,
      ...overrides,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path: string, headers: Record<string, string> = {}): Promise<Badge> {
      const res = await fetch(`${base}${path}`, { headers });
      const body = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        body,
        ...(res.status === 200 && res.headers.get('content-type') === 'image/svg+xml' ? { svg: parseXml(body) } : {}),
      };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** What a badge says: its title (label: message), its text elements, and the colours it is drawn in. */
function read(badge: Badge) {
  assert.ok(badge.svg, `not an SVG: ${badge.status} ${badge.body}`);
  return {
    title: findAll(badge.svg, 'title').map(textOf)[0],
    aria: badge.svg.attributes['aria-label'],
    texts: [...new Set(findAll(badge.svg, 'text').map(textOf))],
    fills: findAll(badge.svg, 'rect').map((r) => r.attributes.fill),
  };
}

describe('badges', () => {
  let dir: string;
  let store: Store;
  let api: Awaited<ReturnType<typeof startApi>>;
  const latest = new Map<string, CheckResult>([
    ['api', result('api', NOW - 60_000, true)],
    ['web', result('web', NOW - 60_000, false)],
    ['busy', result('busy', NOW - 60_000, true, 10, { degraded: true })],
    ['calm', result('calm', NOW - 60_000, false, 10, { maintenance: true })],
  ]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-badges-'));
    store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    await store.write(RUNS);
    await store.compact(NOW);
    api = await startApi({ store }, latest);
  });
  after(async () => {
    await api.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('status.svg: the state in words and colour, labelled with the check name', async () => {
    const cases: [string, string, string][] = [
      ['api', 'up', HEX.brightgreen],
      ['web', 'down', HEX.red],
      ['busy', 'degraded', HEX.yellow],
      ['calm', 'maintenance', HEX.blue],
      ['fresh', 'unknown', HEX.lightgrey],
    ];
    for (const [check, state, colour] of cases) {
      const badge = await api.get(`/api/v1/checks/${check}/badge/status.svg`);
      assert.equal(badge.status, 200, check);
      const { title, aria, texts, fills } = read(badge);
      assert.equal(title, `${check}: ${state}`);
      assert.equal(aria, `${check}: ${state}`);
      assert.deepEqual(texts, [check, state]);
      assert.ok(fills.includes(colour), `${check}: ${fills.join(' ')}`);
    }
  });

  it('answers image/svg+xml, cacheable for 60 s, a strong ETag of the body, nosniff', async () => {
    const badge = await api.get('/api/v1/checks/api/badge/status.svg');
    assert.equal(badge.headers.get('content-type'), 'image/svg+xml');
    assert.equal(badge.headers.get('cache-control'), 'public, max-age=60');
    assert.equal(badge.headers.get('x-content-type-options'), 'nosniff');
    assert.match(badge.headers.get('etag') ?? '', /^"[A-Za-z0-9_-]{27}"$/);
    assert.equal(Number(badge.headers.get('content-length')), Buffer.byteLength(badge.body));
    const other = await api.get('/api/v1/checks/web/badge/status.svg');
    assert.notEqual(other.headers.get('etag'), badge.headers.get('etag'));
  });

  it('answers 304 without a body when If-None-Match names its ETag', async () => {
    const first = await api.get('/api/v1/checks/api/badge/uptime.svg?window=7d');
    const etag = first.headers.get('etag') as string;
    for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const again = await api.get('/api/v1/checks/api/badge/uptime.svg?window=7d', { 'if-none-match': header });
      assert.equal(again.status, 304, header);
      assert.equal(again.body, '');
      assert.equal(again.headers.get('etag'), etag);
      assert.equal(again.headers.get('cache-control'), 'public, max-age=60');
    }
    const changed = await api.get('/api/v1/checks/api/badge/uptime.svg?window=30d', { 'if-none-match': etag });
    assert.equal(changed.status, 200, 'another window is another badge');
    assert.equal(matchesEtag('"a", "b"', '"b"'), true);
    assert.equal(matchesEtag('"a"', '"b"'), false);
    assert.equal(matchesEtag(undefined, '"b"'), false);
  });

  it('uptime.svg: the share of runs that passed over the window, from the rollups (default 24h)', async () => {
    const expected = (windowMs: number) => {
      const runs = RUNS.filter((r) => Date.parse(r.time) >= NOW - windowMs);
      return runs.filter((r) => r.ok).length / runs.length;
    };
    const week = read(await api.get('/api/v1/checks/api/badge/uptime.svg?window=7d'));
    assert.equal(expected(7 * DAY), 152 / 168);
    assert.equal(week.title, 'uptime 7d: 90.47%');
    assert.ok(week.fills.includes(HEX.orange), 'from 90% to 95% is orange');
    const day = read(await api.get('/api/v1/checks/api/badge/uptime.svg'));
    assert.equal(day.title, `uptime 24h: ${(Math.floor(expected(DAY) * 10_000) / 100).toFixed(2)}%`);
    // 90 days is read from day rollups: the whole 30 days of runs.
    assert.equal(read(await api.get('/api/v1/checks/api/badge/uptime.svg?window=90d')).title, 'uptime 90d: 90.00%');
    // An hour is read from minute rollups: the run at 11:00 passed.
    assert.equal(read(await api.get('/api/v1/checks/api/badge/uptime.svg?window=1h')).title, 'uptime 1h: 100%');
    const none = read(await api.get('/api/v1/checks/fresh/badge/uptime.svg'));
    assert.equal(none.title, 'uptime 24h: no data');
    assert.ok(none.fills.includes(HEX.lightgrey));
  });

  it('response-time.svg: p95 by default, avg or p50 on asking, over the window', async () => {
    const day = RUNS.filter((r) => Date.parse(r.time) >= NOW - DAY).map((r) => r.durationMs);
    const avg = day.reduce((a, b) => a + b, 0) / day.length;
    assert.equal(
      read(await api.get('/api/v1/checks/api/badge/response-time.svg?stat=avg')).title,
      `avg 24h: ${Math.round(avg)} ms`,
    );
    const sorted = [...day].sort((a, b) => a - b);
    for (const [stat, q] of [
      ['p95', 0.95],
      ['p50', 0.5],
    ] as const) {
      const path = `/api/v1/checks/api/badge/response-time.svg${stat === 'p95' ? '' : `?stat=${stat}`}`;
      const { title, fills } = read(await api.get(path));
      const m = new RegExp(`^${stat} 24h: (\\d+) ms$`).exec(title ?? '');
      assert.ok(m, title);
      // The histogram's bins are 1.25x apart: the value is the upper bound of the true quantile's bin.
      const exact = sorted[Math.ceil(q * sorted.length) - 1] as number;
      assert.ok(Number(m[1]) >= exact && Number(m[1]) <= Math.ceil(exact * 1.25), `${title} vs ${exact}`);
      assert.ok(fills.includes(HEX.brightgreen), 'under 200 ms is bright green');
    }
    assert.equal(read(await api.get('/api/v1/checks/fresh/badge/response-time.svg')).title, 'p95 24h: no data');
  });

  it('takes a label of its own and a badge-maker style; escapes the label as XML', async () => {
    const labelled = read(await api.get('/api/v1/checks/api/badge/status.svg?label=Payments%20API'));
    assert.deepEqual(labelled.texts, ['Payments API', 'up']);
    const hostile = await api.get(`/api/v1/checks/api/badge/status.svg?label=${encodeURIComponent('<script>&"x')}`);
    assert.equal(read(hostile).title, '<script>&"x: up', 'read back as text by a strict XML reader');
    assert.doesNotMatch(hostile.body, /<script/);
    const loud = read(await api.get('/api/v1/checks/api/badge/status.svg?style=for-the-badge'));
    assert.deepEqual(loud.texts, ['API', 'UP'], 'for-the-badge writes capitals');
    for (const style of ['flat', 'flat-square', 'plastic', 'social']) {
      const badge = await api.get(`/api/v1/checks/api/badge/status.svg?style=${style}`);
      assert.equal(badge.status, 200, style);
      assert.ok(
        read(badge).texts.some((t) => /api/i.test(t)),
        style,
      );
    }
  });

  it('refuses bad parameters with a 400 JSON naming them; an unknown check or badge is a 404', async () => {
    const cases: [string, number, string, RegExp][] = [
      ['api/badge/uptime.svg?window=30m', 400, 'bad_parameter', /window must be a duration from 1h to 400d, got "30m"/],
      ['api/badge/uptime.svg?window=401d', 400, 'bad_parameter', /window must be a duration from 1h to 400d/],
      ['api/badge/uptime.svg?window=%201d', 400, 'bad_parameter', /window must be a duration/],
      ['api/badge/response-time.svg?window=banana', 400, 'bad_parameter', /window must be a duration/],
      ['api/badge/response-time.svg?stat=p99', 400, 'bad_parameter', /stat must be one of avg, p50, p95, got "p99"/],
      ['api/badge/status.svg?style=fancy', 400, 'bad_parameter', /style must be one of flat, flat-square, plastic/],
      [
        `api/badge/status.svg?label=${'x'.repeat(65)}`,
        400,
        'bad_parameter',
        /label has 65 characters, over the limit of 64/,
      ],
      ['api/badge/status.svg?label=a%0Ab', 400, 'bad_parameter', /label may not contain control characters/],
      ['api/badge/status.svg?label=', 400, 'bad_parameter', /label is empty/],
      ['api/badge/status.svg?window=7d', 400, 'unknown_parameter', /this route takes label, style/],
      ['api/badge/uptime.svg?window=1d&window=2d', 400, 'bad_parameter', /window is given 2 times/],
      ['nope/badge/status.svg', 404, 'not_found', /no check named "nope"/],
      [
        'api/badge/coverage.svg',
        404,
        'not_found',
        /no badge named "coverage.svg" \(badges: status.svg, uptime.svg, response-time.svg\)/,
      ],
    ];
    for (const [path, status, code, message] of cases) {
      const res = await api.get(`/api/v1/checks/${path}`);
      assert.equal(res.status, status, path);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', path);
      const body = JSON.parse(res.body);
      assert.equal(body.error, code, path);
      assert.match(body.message, message, path);
    }
  });
});

describe('badges without history', () => {
  const latest = new Map<string, CheckResult>([['api', result('api', NOW - 60_000, true)]]);

  it('storage: none: status.svg works from memory; uptime and response time are a 503 no_store', async () => {
    const api = await startApi({}, latest);
    try {
      assert.equal(read(await api.get('/api/v1/checks/api/badge/status.svg')).title, 'api: up');
      for (const badge of ['uptime.svg', 'response-time.svg']) {
        const res = await api.get(`/api/v1/checks/api/badge/${badge}`);
        assert.equal(res.status, 503);
        assert.equal(JSON.parse(res.body).error, 'no_store');
      }
    } finally {
      await api.close();
    }
  });

  it('a store that fails: a 503 history_unavailable, never a 500', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-badges-'));
    const store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    await store.write([result('api', NOW - HOUR, true)]);
    await store.close();
    const api = await startApi({ store }, latest);
    try {
      const res = await api.get('/api/v1/checks/api/badge/uptime.svg');
      assert.equal(res.status, 503);
      assert.equal(JSON.parse(res.body).error, 'history_unavailable');
      assert.equal((await api.get('/api/v1/checks/api/badge/status.svg')).status, 200);
    } finally {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('badge colours', () => {
  it('uptime and latency scales', () => {
    assert.deepEqual([1, 0.999, 0.995, 0.98, 0.96, 0.92, 0.5, null].map(uptimeColour), [
      'brightgreen',
      'brightgreen',
      'green',
      'yellowgreen',
      'yellow',
      'orange',
      'red',
      'lightgrey',
    ]);
    assert.deepEqual([5, 200, 201, 500, 999, 2000, 2001, null].map(latencyColour), [
      'brightgreen',
      'brightgreen',
      'green',
      'green',
      'yellow',
      'orange',
      'red',
      'lightgrey',
    ]);
  });
});
