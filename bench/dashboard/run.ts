// The dashboard at scale (issue #12): a monitor with CHECKS checks `every: 60s`
// and 90 days of rollups (bench/dashboard/seed.ts), its checks answered by a
// target in its own process.
// 1. First render in Debian's Chromium: navigation start to the list painted
//    (the app's `lifeline:list-painted` performance mark), and the bytes
//    transferred (gzip) for that first view, rows' 90-day bars and sparklines
//    included; the first open after the monitor started and three more.
//    Side by side: GET /api/v1/checks alone.
// 2. The monitor's CPU and scheduler lag for LOAD_SECONDS with no dashboard
//    open and with CLIENTS live event streams open (what 50 dashboards cost
//    the monitor: each holds one), twice each, interleaved, in the same run.
// Writes its section of docs/benchmarks.md.
//   npm run bench:dashboard   (BENCH_DASHBOARD_CHECKS=10000, BENCH_DASHBOARD_CLIENTS=50,
//                              BENCH_LOAD_SECONDS=30, BENCH_NO_WRITE=1 prints only)

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from '../../test/support/browser.js';
import { machine, percentile, startTarget, writeSection } from '../common.js';
import { type BenchMonitor, startBenchMonitor } from './monitor.js';
import { seedHistory, writeConfig } from './seed.js';

const CHECKS = Number(process.env.BENCH_DASHBOARD_CHECKS ?? 10_000);
const CLIENTS = Number(process.env.BENCH_DASHBOARD_CLIENTS ?? 50);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 30);
const ROUNDS = 4;

/**
 * Read in the page (a string: this file is compiled without the DOM's types).
 * The live event stream never ends: it is not part of the first view's transfer.
 */
const MEASURE = `(() => {
  const mark = performance.getEntriesByName('lifeline:list-painted')[0];
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/api/v1/events'));
  const list = resources.find((r) => new URL(r.name).pathname === '/api/v1/checks');
  return {
    renderMs: mark.startTime,
    listSent: list ? list.startTime : NaN,
    listFirstByte: list ? list.responseStart : NaN,
    listLastByte: list ? list.responseEnd : NaN,
    transferred: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
    requests: resources.length + 1,
    rows: document.querySelectorAll('li.check-row').length,
  };
})()`;

interface FirstView {
  renderMs: number;
  /** GET /api/v1/checks, from navigation start: asked, first byte, last byte (ms). */
  listSent: number;
  listFirstByte: number;
  listLastByte: number;
  transferred: number;
  requests: number;
  rows: number;
}

/** One first view in a fresh browser context (empty cache): navigation start to the list painted, and what it cost. */
async function firstView(chromium: Awaited<ReturnType<typeof launchChromium>>, api: string): Promise<FirstView> {
  const page = await chromium.page({ width: 1280, height: 900 });
  try {
    await page.goto(`${api}/`, { waitUntil: 'commit' });
    await page.waitForFunction("performance.getEntriesByName('lifeline:list-painted').length > 0", null, {
      timeout: 60_000,
    });
    // The rows in view then fetch their bars and sparklines: wait until no new request for a second.
    let count = -1;
    for (;;) {
      const now = await page.evaluate(() => performance.getEntriesByType('resource').length);
      if (now === count) break;
      count = now;
      await sleep(1_000);
    }
    return (await page.evaluate(MEASURE)) as FirstView;
  } finally {
    await page.context().close();
  }
}

interface ApiAlone {
  ms: number;
  bytes: number;
}

/** GET /api/v1/checks with gzip, as the dashboard asks for it: time to the last byte, bytes on the wire. */
function apiAlone(api: string): Promise<ApiAlone> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(`${api}/api/v1/checks`, { headers: { 'accept-encoding': 'gzip' } });
    req.setTimeout(60_000, () => req.destroy(new Error('GET /api/v1/checks: no answer within 60 s')));
    req.once('error', reject);
    req.once('response', (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.once('end', () => resolve({ ms: performance.now() - started, bytes }));
    });
  });
}

interface Phase {
  clients: number;
  cpuPercent: number;
  lag: { n: number; p50: number; p99: number; max: number };
  events: number;
  eventBytes: number;
  rssMb: number;
}

/** LOAD_SECONDS of the monitor's life with `clients` event streams open and read. */
async function loadPhase(m: BenchMonitor, clients: number): Promise<Phase> {
  let events = 0;
  let eventBytes = 0;
  const requests: http.ClientRequest[] = [];
  await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = http.get(`${m.api}/api/v1/events`, { headers: { accept: 'text/event-stream' } });
          requests.push(req);
          req.once('error', reject);
          req.once('response', (res) => {
            if (res.statusCode !== 200) reject(new Error(`GET /api/v1/events: ${res.statusCode}`));
            res.on('data', (chunk: Buffer) => {
              eventBytes += chunk.length;
              events += chunk.toString('latin1').split('event: results').length - 1;
            });
            resolve();
          });
        }),
    ),
  );
  const cpu0 = m.cpuSeconds();
  const from = Date.now();
  await sleep(LOAD_SECONDS * 1_000);
  const cpu1 = m.cpuSeconds();
  const to = Date.now();
  const rssMb = m.rssMb();
  for (const req of requests) req.destroy();
  const lags = m.lags
    .filter((l) => l.t >= from && l.t < to)
    .map((l) => l.lagMs)
    .sort((a, b) => a - b);
  return {
    clients,
    cpuPercent: ((cpu1 - cpu0) / ((to - from) / 1_000)) * 100,
    lag: { n: lags.length, p50: percentile(lags, 0.5), p99: percentile(lags, 0.99), max: lags.at(-1) ?? Number.NaN },
    events,
    eventBytes,
    rssMb,
  };
}

function report(r: { seeded: number; renders: FirstView[]; json: ApiAlone[]; phases: Phase[] }) {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  const [cold, ...warm] = r.renders as [FirstView, ...FirstView[]];
  const warmMs = warm.map((w) => w.renderMs).sort((a, b) => a - b);
  const jsonMs = r.json.map((j) => j.ms).sort((a, b) => a - b);
  const [jsonCold] = r.json as [ApiAlone];
  const viewRow = (label: string, v: FirstView) =>
    `| ${label} | ${v.renderMs.toFixed(0)} ms | ${v.listSent.toFixed(0)} → ${v.listFirstByte.toFixed(0)} → ${v.listLastByte.toFixed(0)} ms | ${kb(v.transferred)} | ${v.requests} | ${v.rows} |`;
  const verdict = (met: boolean) => (met ? 'met' : '**not met**');
  const lagQuiet = Math.max(...r.phases.filter((p) => p.clients === 0).map((p) => p.lag.p99));
  const lagOpen = Math.max(...r.phases.filter((p) => p.clients > 0).map((p) => p.lag.p99));
  const phaseRow = (p: Phase) =>
    `| ${p.clients === 0 ? 'no dashboard open' : `${p.clients} live event streams`} | ${p.cpuPercent.toFixed(1)}% | ${p.lag.p50} | ${p.lag.p99} | ${p.lag.max} | ${p.lag.n} | ${p.events} (${kb(p.eventBytes)}) | ${p.rssMb.toFixed(0)} |`;
  const body = `## Dashboard at ${CHECKS.toLocaleString('en')} checks (\`npm run bench:dashboard\`)

${machine()}. ${CHECKS.toLocaleString('en')} http checks \`every: 60s\` against a target in its own process, 90 days of daily rollups and 48 hours of hourly ones (${r.seeded.toLocaleString('en')} rows, bench/dashboard/seed.ts) in the monitor's SQLite file. Debian's Chromium (headless, playwright-core), 1280×900, a fresh context (empty cache) per view.

| first view | navigation start → list painted | GET /api/v1/checks asked → first byte → last byte | transferred (gzip) | requests | rows in the DOM |
|---|---:|---:|---:|---:|---:|
${viewRow('first open after the monitor started', cold)}
${warm.map((w, i) => viewRow(`open ${i + 2}`, w)).join('\n')}
| GET /api/v1/checks alone (gzip, from Node), median of ${r.json.length} | ${percentile(jsonMs, 0.5).toFixed(0)} ms | — | ${kb(jsonCold.bytes)} | 1 | — |

Goals: first render < 1 s — ${verdict(percentile(warmMs, 0.5) < 1000)}: ${percentile(warmMs, 0.5).toFixed(0)} ms (median of the opens after the first) once the monitor's history summary (read at most every 30 s) is in memory, ${cold.renderMs.toFixed(0)} ms for the first open after a start; < 1 MB transferred — ${verdict(Math.max(...r.renders.map((v) => v.transferred)) < 1024 * 1024)} (${kb(Math.max(...r.renders.map((v) => v.transferred)))} at most, the list of every check being most of it). The list painted waits for GET /api/v1/checks: the columns from navigation start show how much of the time is its answer; the app's own files are about 45 KB.

The monitor with and without dashboards open (${LOAD_SECONDS} s each, in this order, in this run):

| phase | monitor CPU | lag p50 ms | lag p99 ms | lag max ms | results | result events sent | RSS MB |
|---|---:|---:|---:|---:|---:|---:|---:|
${r.phases.map(phaseRow).join('\n')}

Goal: the scheduler's lag p99 unchanged with ${CLIENTS} dashboards open — ${verdict(lagOpen <= lagQuiet * 1.5 + 5)}: p99 ${lagQuiet} ms without, ${lagOpen} ms with (the worse round of each).
`;
  process.stdout.write(`${body}\n`);
  if (process.env.BENCH_NO_WRITE !== '1') writeSection('dashboard', body);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-dashboard-'));
  const target = await startTarget();
  let monitor: BenchMonitor | undefined;
  try {
    const db = join(dir, 'lifeline.db');
    const seeded = await seedHistory(db, CHECKS, Date.now());
    const config = join(dir, 'lifeline.yaml');
    writeConfig(config, { checks: CHECKS, target: target.url, db, port: 0 });
    monitor = await startBenchMonitor(config);
    const m = monitor;
    // Every check has run once (every: 60s spreads first runs over the first minute).
    const ranAll = Date.now() + 150_000;
    while (m.lags.length < CHECKS) {
      if (Date.now() > ranAll) throw new Error(`only ${m.lags.length} of ${CHECKS} checks ran within 150 s`);
      await sleep(500);
    }

    const chromium = await launchChromium();
    const renders: FirstView[] = [];
    try {
      for (let i = 0; i < ROUNDS; i++) renders.push(await firstView(chromium, m.api));
    } finally {
      await chromium.close();
    }
    const json: ApiAlone[] = [];
    for (let i = 0; i < ROUNDS; i++) json.push(await apiAlone(m.api));

    // Interleaved, so a drift of the machine's load shows as a difference between the two rounds of one kind.
    const phases: Phase[] = [];
    for (const clients of [0, CLIENTS, 0, CLIENTS]) phases.push(await loadPhase(m, clients));
    if (m.problems.length > 0) console.error(`the monitor reported problems:\n${m.problems.slice(0, 10).join('\n')}`);
    report({ seeded: seeded.rows, renders, json, phases });
  } finally {
    await monitor?.stop();
    target.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
