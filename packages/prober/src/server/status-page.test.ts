// Issue #12: the public status page at /status, rendered on the server from the
// newest results, the open incidents and the daily rollups of a real store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { FiringAlert } from '../alerting/engine.js';
import type { ResolvedStatusPage } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { makeCheck } from '../testing/check.js';
import { type ApiDeps, createApi } from './app.js';
import { createMetrics } from './metrics.js';
import { FAILURE_TTL_MS, HISTORY_TTL_MS, STATUS_PAGE_CSP } from './routes/status-page.js';

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** What must never reach the page: unlisted checks, URLs, hosts, IPs, credentials and error messages. */
const SECRETS = [
  'secret-internal',
  'internal.corp.example',
  'hunter2',
  'tok_SECRET123',
  'db.internal.example',
  '10.1.2.3',
  '8443',
  'ECONNREFUSED',
  'getaddrinfo',
  'ENOTFOUND',
  'status 503 is not in',
  'http://',
  'https://',
  'web.example.com',
];

const result = (check: string, at: number, ok: boolean): CheckResult => ({
  time: new Date(at).toISOString(),
  check,
  url:
    check === 'secret-internal'
      ? 'https://admin:hunter2@internal.corp.example:8443/?token=tok_SECRET123'
      : `http://${check}.example.com/health`,
  status: ok ? 200 : 503,
  ok,
  durationMs: 12,
  phases: { dns: 1, connect: 1, tls: 0, ttfb: 9, transfer: 1, total: 12 },
  ip: '10.1.2.3',
  ...(ok
    ? {}
    : {
        error: {
          code: 'refused' as const,
          message: 'connect ECONNREFUSED 10.1.2.3:8443 (getaddrinfo ENOTFOUND db.internal.example)',
        },
      }),
});

const PAGE: ResolvedStatusPage = {
  title: 'Acme status',
  description: 'Everything Acme runs.',
  groups: [
    { name: 'Core', checks: [{ check: 'api', label: 'Public API' }] },
    { name: 'Web & more', checks: [{ check: 'web', label: '<script>alert(1)</script>' }] },
  ],
};

const incident = (check: string, startedAt: number): FiringAlert => ({
  check,
  notified: true,
  incident: {
    id: `${check}:${startedAt}`,
    check,
    startedAt,
    endedAt: null,
    failures: 3,
    error: { code: 'refused', message: 'connect ECONNREFUSED 10.1.2.3:8443' },
  },
});

interface Started {
  readonly base: string;
  get(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; text: string }>;
  close(): Promise<void>;
}

async function startApi(overrides: Partial<ApiDeps>, latest: Map<string, CheckResult>): Promise<Started> {
  const health = createHealth({ checks: {} });
  const server = http.createServer(
    createApi({
      checks: () => [
        makeCheck({ name: 'api', url: 'http://api.example.com/health' }),
        makeCheck({ name: 'web', url: 'http://web.example.com/' }),
        makeCheck({ name: 'secret-internal', url: 'https://admin:hunter2@internal.corp.example:8443/' }),
      ],
      latest: () => latest,
      metrics: createMetrics(() => latest),
      health,
      now: () => NOW,
      statusPage: () => PAGE,
      ...overrides,
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    async get(path, init) {
      const res = await fetch(`${base}${path}`, init);
      return { status: res.status, headers: res.headers, text: await res.text() };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A real store whose rollup reads are counted. */
function counting(store: Store): { store: Store; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'rollups')
        return (...args: Parameters<Store['rollups']>) => {
          reads += 1;
          return target.rollups(...args);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: counted, reads: () => reads };
}

/** The title of every day slot of the bar of the check with this (escaped) label. */
function dayTitles(html: string, label: string): string[] {
  const bar =
    html
      .split(`aria-label="Daily uptime of ${label} over the last 90 days"><div class="bar">`)[1]
      ?.split('</div>')[0] ?? '';
  return [...bar.matchAll(/<span role="img" class="b-(\w+)" title="([^"]*)"><\/span>/g)].map((m) => `${m[1]} ${m[2]}`);
}

describe('GET /status', () => {
  let dir: string;
  let store: Store;
  let api: Started;
  const latest = new Map<string, CheckResult>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifeline-status-'));
    store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    const rows: CheckResult[] = [];
    // api: a run an hour for 95 days, one failure (2026-06-29 05:00); web: 10 days, one failure a day on 06-25.
    for (let t = NOW - 95 * DAY; t < NOW; t += HOUR) {
      rows.push(result('api', t, t !== Date.parse('2026-06-29T05:00:00Z')));
      if (t >= NOW - 10 * DAY) rows.push(result('web', t, t !== Date.parse('2026-06-25T10:00:00Z')));
      rows.push(result('secret-internal', t, false));
    }
    await store.write(rows);
    await store.compact(NOW);
    latest.set('api', result('api', NOW - 60_000, true));
    latest.set('web', result('web', NOW - 60_000, false));
    latest.set('secret-internal', result('secret-internal', NOW - 60_000, false));
    api = await startApi(
      {
        store,
        alerts: {
          firing: () => [incident('secret-internal', NOW - DAY), incident('web', NOW - 8 * 60_000)],
          store,
        },
      },
      latest,
    );
  });
  after(async () => {
    await api.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers HTML with no-cache, a strict CSP that allows exactly its stylesheet, and nosniff', async () => {
    const res = await api.get('/status');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.equal(csp, STATUS_PAGE_CSP);
    assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; img-src data:;/);
    const styles = [...res.text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string);
    assert.equal(styles.length, 1);
    const hash = createHash('sha256')
      .update(styles[0] as string)
      .digest('base64');
    assert.ok(csp.includes(`'sha256-${hash}'`), 'the CSP hash is the hash of the inline stylesheet');
    assert.doesNotMatch(res.text, /<script|<link|<img|src=|href=|\sstyle=/i, 'no script, no external resource');
    assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(res.text));
  });

  it('HEAD answers the same headers without a body', async () => {
    const [get, head] = [await api.get('/status'), await api.get('/status', { method: 'HEAD' })];
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    for (const name of ['content-type', 'content-length', 'cache-control', 'content-security-policy'])
      assert.equal(head.headers.get(name), get.headers.get(name), name);
  });

  it('shows the title, the banner, each group with its checks by label, their state and 90-day bar', async () => {
    const { text } = await api.get('/status');
    assert.match(text, /^<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"\/>/);
    assert.match(text, /<title>Acme status<\/title>/);
    for (const landmark of ['<header>', '<main>', '<footer>']) assert.ok(text.includes(landmark), landmark);
    assert.equal(text.match(/<h1>/g)?.length, 1);
    assert.match(text, /<h1>Acme status<\/h1><p class="desc">Everything Acme runs\.<\/p>/);
    // One of two checks is down: a partial outage.
    assert.match(text, /<p class="banner b-degraded">Partial outage<\/p>/);
    assert.match(text, /<h2 id="group-0">Core<\/h2>/);
    assert.match(text, /<h2 id="group-1">Web &amp; more<\/h2>/);
    assert.match(text, /<h3>Public API<\/h3><span class="state t-up">Operational<\/span>/);
    assert.match(text, /<span class="state t-down">Down<\/span>/);

    const apiDays = dayTitles(text, 'Public API');
    assert.equal(apiDays.length, 90);
    assert.equal(apiDays[0], 'up 2026-04-02: 100% uptime, 24 runs');
    assert.equal(apiDays[88], 'down 2026-06-29: 95.83% uptime, 24 runs');
    assert.equal(apiDays[89], 'up 2026-06-30: 100% uptime, 12 runs');
    // 89 days of 24 runs and 12 today, one failure: 2147 / 2148, cut (not rounded) to 99.95%.
    assert.match(text, /<span>99\.95% uptime<\/span>/);

    const webDays = dayTitles(text, '&lt;script>alert(1)&lt;/script>');
    assert.equal(webDays.length, 90);
    assert.equal(webDays[0], 'unknown 2026-04-02: no data');
    assert.equal(webDays[84], 'down 2026-06-25: 95.83% uptime, 24 runs');
    assert.equal(webDays.filter((d) => d.startsWith('unknown')).length, 79);
  });

  it('escapes every configured text: a label with <script> is text, not markup', async () => {
    const { text } = await api.get('/status');
    assert.ok(text.includes('<h3>&lt;script>alert(1)&lt;/script></h3>'), 'the label is escaped');
    assert.doesNotMatch(text, /<script/i);
  });

  it('lists the open incidents of listed checks only, with since when, and never their errors', async () => {
    const { text } = await api.get('/status');
    const section = text.split('<h2 id="incidents">Current incidents</h2>')[1]?.split('</section>')[0] ?? '';
    assert.equal(
      section,
      '<ul><li><strong>&lt;script>alert(1)&lt;/script></strong>: failing since ' +
        '<time datetime="2026-06-30T11:52:00.000Z">2026-06-30 11:52 UTC</time> (8 min)</li></ul>',
    );
  });

  it('never shows an unlisted check, a URL, a host, an IP, a credential or an error message', async () => {
    const { text } = await api.get('/status');
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `the page shows ${secret}`);
  });

  it('says when the page was generated and when the newest result came', async () => {
    const { text } = await api.get('/status');
    assert.match(
      text,
      /<footer><p>Last updated <time datetime="2026-06-30T11:59:00.000Z">2026-06-30 11:59 UTC<\/time>\. Page generated <time datetime="2026-06-30T12:00:00.000Z">/,
    );
  });

  it('takes no query parameters; refuses other methods', async () => {
    const res = await api.get('/status?refresh=1');
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.text).error, 'unknown_parameter');
    assert.equal((await api.get('/status', { method: 'POST' })).status, 405);
  });
});

describe('GET /status: configuration, history and caching', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const openStore = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-status-'));
    dirs.push(dir);
    const store = createSqliteStore(join(dir, 'l.db'));
    await store.migrate();
    return store;
  };
  const latest = new Map<string, CheckResult>([
    ['api', result('api', NOW - 1_000, true)],
    ['web', result('web', NOW - 1_000, true)],
  ]);

  it('is a 404 JSON without statusPage, and follows the page as a reload changes it', async () => {
    let page: ResolvedStatusPage | undefined;
    const api = await startApi({ statusPage: () => page }, latest);
    try {
      const missing = await api.get('/status');
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(missing.text), {
        error: 'not_found',
        message: 'no status page is configured: add statusPage to the config',
      });
      page = { ...PAGE, title: 'Reloaded' };
      assert.match((await api.get('/status')).text, /<h1>Reloaded<\/h1>/);
    } finally {
      await api.close();
    }
  });

  it('without a store (storage: none): current states, and says it keeps no history', async () => {
    const api = await startApi({}, latest);
    try {
      const { status, text } = await api.get('/status');
      assert.equal(status, 200);
      assert.match(text, /All systems operational/);
      assert.match(text, /<p class="note">This monitor keeps no uptime history\.<\/p>/);
      assert.doesNotMatch(text, /class="(bar|days)"/);
    } finally {
      await api.close();
    }
  });

  it('when the store fails: still 200 with the current states, and says history is unavailable', async () => {
    const store = await openStore();
    await store.write([result('api', NOW - DAY, true), result('web', NOW - DAY, true)]);
    await store.close(); // a real store that can no longer be read
    const counted = counting(store);
    let now = NOW;
    const api = await startApi({ store: counted.store, now: () => now }, latest);
    try {
      const { status, text } = await api.get('/status');
      assert.equal(status, 200);
      assert.match(text, /<span class="state t-up">Operational<\/span>/);
      assert.match(text, /Uptime history is unavailable right now; the states above are current\./);
      assert.doesNotMatch(text, /class="(bar|days)"/);
      assert.equal(counted.reads(), 1, 'the first failed read ends the reading');
      now += FAILURE_TTL_MS - 1;
      await api.get('/status');
      assert.equal(counted.reads(), 1, 'a failed store is not asked again at once');
      now += 1;
      await api.get('/status');
      assert.equal(counted.reads(), 2, 'but again after FAILURE_TTL_MS');
    } finally {
      await api.close();
    }
  });

  it('reads the rollups once per 30 s for every visitor, concurrent ones included', async () => {
    const { store, reads } = counting(await openStore());
    let now = NOW;
    const api = await startApi({ store, now: () => now }, latest);
    try {
      await Promise.all([api.get('/status'), api.get('/status'), api.get('/status')]);
      assert.equal(reads(), 2, 'one read per listed check, shared by the three requests');
      now += HISTORY_TTL_MS - 1;
      await api.get('/status');
      assert.equal(reads(), 2);
      now += 1;
      await api.get('/status');
      assert.equal(reads(), 4, 'read again once the cache expired');
    } finally {
      await api.close();
      await store.close();
    }
  });
});
