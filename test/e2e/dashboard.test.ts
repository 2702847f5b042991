// The dashboard, the check page and the status page in a real browser (Debian's
// Chromium through playwright-core) against the real `lifeline run` and real
// targets: states as they are, a target stopped and started again seen through
// the live event stream without a reload, the phase chart, the status page with
// JavaScript off and nothing internal in it, and axe-core on every page.
// With UPDATE_SCREENSHOTS=1 the screenshots go to docs/images/ (the README's);
// otherwise to a temporary directory, so a test run leaves the tree as it was.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { CheckResult } from '../../packages/prober/src/domain/result.js';
import { createSqliteStore } from '../../packages/prober/src/store/sqlite/sqlite-store.js';
import { axeViolations, browserMissing, launchChromium } from '../support/browser.js';
import { ROOT } from './helpers.js';
import { apiOf, cleanup, startTarget, type Target, WAIT_MS } from './monitor.js';

const skip = browserMissing();
const MINUTE = 60_000;

/**
 * Two weeks of one run every 15 minutes, with phase timings, so the bars,
 * sparklines and the check page's chart have history from the first second;
 * `failingDay` (days ago) had a bad hour.
 */
function history(check: string, url: string, now: number, failingDay?: number): CheckResult[] {
  const runs = (14 * 24 * 60) / 15;
  return Array.from({ length: runs }, (_, i) => {
    const at = now - (runs - i) * 15 * MINUTE;
    const ttfb = 2 + (i % 7) + (i % 96 > 60 ? 3 : 0);
    const ok = failingDay === undefined || Math.floor((now - at) / (24 * 60 * MINUTE)) !== failingDay || i % 96 > 4;
    return {
      time: new Date(at).toISOString(),
      check,
      url,
      status: ok ? 200 : 503,
      ok,
      durationMs: ttfb + 1.5,
      phases: { dns: 0.25, connect: 0.5, tls: 0, ttfb, transfer: 0.75, total: ttfb + 1.5 },
      ...(ok ? {} : { error: { code: 'http_status' as const, message: 'status 503 is not in 200-399' } }),
    };
  });
}

describe('the dashboard in Chromium', { skip }, () => {
  const env = cleanup('lifeline-dashboard-');
  const shots = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs/images') : env.dir();
  let api: Target;
  let web: Target;
  let base: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    api = env.add(await startTarget(200), (t) => t.close());
    web = env.add(await startTarget(200), (t) => t.close());
    const dir = env.dir();
    const db = join(dir, 'lifeline.db');
    const seed = createSqliteStore(db);
    await seed.migrate();
    const now = Date.now();
    await seed.write([...history('api', api.url, now), ...history('web', web.url, now, 3)]);
    await seed.compact(now);
    await seed.close();
    const config = join(dir, 'lifeline.yaml');
    writeFileSync(
      config,
      [
        `storage: ${db}`,
        'statusPage:',
        '  title: Acme status',
        '  groups:',
        '    - name: Core',
        '      checks: [{ check: api, label: Public API }, web]',
        'checks:',
        '  - name: api',
        '    group: core',
        `    url: ${api.url}`,
        '    every: 1s',
        '    conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 5000"]',
        '  - name: web',
        '    group: core',
        `    url: ${web.url}`,
        '    every: 1s',
        '  - name: nightly-backup',
        '    group: jobs',
        '    type: push',
        '    schedule: "0 3 * * *"',
        '    token: a-token-of-sixteen-chars',
        '',
      ].join('\n'),
    );
    base = await apiOf(env.monitor(config));
    chromium = await launchChromium();
  });
  after(() => chromium?.close());

  const row = (page: Page, check: string) => page.locator(`li.check-row[data-check="${check}"]`);

  async function noSeriousViolations(page: Page, what: string) {
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `${what}: axe-core found ${JSON.stringify(violations, null, 1)}`);
  }

  it('shows every check in its state, and a failing or stopped target turns its row down and back up without a reload', async () => {
    const page = await chromium.page({ width: 1280, height: 720 });
    await page.goto(`${base}/`);
    await row(page, 'api').and(page.locator('[data-state="up"]')).waitFor({ timeout: WAIT_MS });
    await row(page, 'web').and(page.locator('[data-state="up"]')).waitFor({ timeout: WAIT_MS });
    await row(page, 'nightly-backup').and(page.locator('[data-state="unknown"]')).waitFor({ timeout: WAIT_MS });
    await page.locator('p[role="status"][data-live="live"]').waitFor({ timeout: WAIT_MS });
    // The rows in view got their 90-day bars and sparklines from the overview route, from the seeded hour.
    await row(page, 'api').locator('[aria-label^="90-day uptime 100"]').waitFor({ timeout: WAIT_MS });
    const webBar = row(page, 'web').locator('[aria-label^="90-day uptime"]');
    await webBar.waitFor({ timeout: WAIT_MS });
    // Its bad hour three days ago shows as a day below 99.9%.
    assert.match((await webBar.getAttribute('aria-label')) ?? '', /; [12] of 1[45] days below 99\.9%$/);
    await row(page, 'api').locator('[aria-label^="24-hour latency, newest hour"]').waitFor({ timeout: WAIT_MS });
    await noSeriousViolations(page, 'the dashboard');
    await page.screenshot({ path: join(shots, 'dashboard.png') });

    // A page that never reloads: anything it shows from now on came through the event stream.
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const stopped = Date.now();
    web.set(503);
    await row(page, 'web').and(page.locator('[data-state="down"]')).waitFor({ timeout: WAIT_MS });
    const downAfter = Date.now() - stopped;
    assert.match((await row(page, 'web').textContent()) ?? '', /503/);
    await page.screenshot({ path: join(shots, 'dashboard-down.png') });
    web.set(200);
    await row(page, 'web').and(page.locator('[data-state="up"]')).waitFor({ timeout: WAIT_MS });
    // Stopped for real (what the README asks a newcomer to do with the api), then started again at the same address.
    const port = Number(new URL(web.url).port);
    await web.close();
    await row(page, 'web').and(page.locator('[data-state="down"]')).waitFor({ timeout: WAIT_MS });
    assert.match((await row(page, 'web').textContent()) ?? '', /refused/);
    web = env.add(await startTarget(200, port), (t) => t.close());
    await row(page, 'web').and(page.locator('[data-state="up"]')).waitFor({ timeout: WAIT_MS });
    assert.deepEqual(navigations, [], `the page reloaded (the row turned down ${downAfter} ms after the stop)`);
    await page.context().close();
  });

  it('opens a check page with the latency chart stacked by phase, its conditions and recent results', async () => {
    const page = await chromium.page({ width: 1280, height: 900 });
    await page.goto(`${base}/`);
    await row(page, 'api').getByRole('link', { name: 'api' }).click();
    await page.locator('article[data-check="api"][data-state="up"]').waitFor({ timeout: WAIT_MS });
    assert.equal(new URL(page.url()).pathname, '/checks/api');
    const chart = page.locator('figure.phase-chart');
    await chart.locator('canvas').first().waitFor({ timeout: WAIT_MS });
    const legend = (await chart.textContent()) ?? '';
    for (const phase of ['dns', 'connect', 'ttfb', 'transfer']) assert.match(legend, new RegExp(phase), legend);
    await page.getByRole('heading', { name: 'Conditions' }).waitFor({ timeout: WAIT_MS });
    assert.match(
      (await page.locator('section[aria-labelledby="conditions-title"]').textContent()) ?? '',
      /\[STATUS\] \(200\) == 200/,
    );
    await page.getByRole('heading', { name: 'Recent results' }).waitFor({ timeout: WAIT_MS });
    await noSeriousViolations(page, 'the check page');
    await page.screenshot({ path: join(shots, 'check-page.png') });
    await page.context().close();
  });

  it('renders the status page with JavaScript off, showing labels and states and nothing internal', async () => {
    const page = await chromium.page({ javaScriptEnabled: false, width: 1024, height: 768 });
    const response = await page.goto(`${base}/status`);
    assert.equal(response?.status(), 200);
    await page.getByRole('heading', { name: 'Acme status' }).waitFor({ timeout: WAIT_MS });
    const html = await page.content();
    assert.match(html, /Public API/);
    assert.match(html, /\bweb\b/);
    // No target URL, host, port, IP or unlisted check.
    for (const secret of [api.url, web.url, '127.0.0.1', 'nightly-backup', 'a-token'])
      assert.ok(!html.includes(secret), `the status page shows ${secret}`);
    await page.screenshot({ path: join(shots, 'status-page.png'), fullPage: true });
    await page.context().close();
    // axe-core is a script: it checks the same page in a context with JavaScript on.
    const checked = await chromium.page({ width: 1024, height: 768 });
    await checked.goto(`${base}/status`);
    await noSeriousViolations(checked, 'the status page');
    await checked.context().close();
  });
});
