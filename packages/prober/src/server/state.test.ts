// Issue #12: the `state` of GET /api/v1/checks (and of the live events): late,
// maintenance, and the newest result's verdict, from the config's schedules
// and the push checks' expected runs.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import type { ResolvedCheck } from '../config/resolved.js';
import { CHECK_STATES } from '../domain/check-state.js';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { createApiServer } from './app.js';
import { createMetrics } from './metrics.js';
import { OPENAPI } from './openapi.js';
import { createStateReader, type PushExpectations, resultStates } from './state.js';

// A Sunday: a weekday-only cron check last ran on Friday.
const NOW = Date.parse('2026-07-05T12:00:00.000Z');
const MIN = 60_000;

const result = (check: string, at: number, fields: Partial<CheckResult> = {}): CheckResult => ({
  time: new Date(at).toISOString(),
  check,
  url: `http://${check}:3000/`,
  status: 200,
  ok: true,
  durationMs: 5,
  phases: { dns: 0, connect: 1, tls: 0, ttfb: 3, transfer: 1, total: 5 },
  ...fields,
});

const push = (name: string): ResolvedCheck =>
  makeCheck({
    name,
    kind: 'push',
    target: { kind: 'push' },
    timeoutMs: MIN,
    push: { graceMs: MIN, maxRunTimeMs: null, token: 'job-token-0123456789' },
  });

const checks: ResolvedCheck[] = [
  makeCheck({ name: 'fresh' }), // every 1m, timeout 1s
  makeCheck({ name: 'stale' }),
  makeCheck({ name: 'at-the-bound' }),
  makeCheck({ name: 'jittered', jitterMs: 30_000 }),
  makeCheck({ name: 'weekdays', schedule: { kind: 'cron', pattern: '0 9 * * 1-5', timezone: 'UTC' } }),
  makeCheck({ name: 'maintained' }),
  makeCheck({ name: 'never' }),
  push('job-late'),
  push('job-running'),
  push('job-waiting'),
  push('job-first'),
];

const latest = new Map<string, CheckResult>([
  ['fresh', result('fresh', NOW - 30_000, { ok: false, status: 503 })],
  ['stale', result('stale', NOW - 2 * MIN - 1_001)],
  ['at-the-bound', result('at-the-bound', NOW - 2 * MIN - 1_000, { degraded: true })],
  ['jittered', result('jittered', NOW - 2 * MIN - 20_000)],
  ['weekdays', result('weekdays', Date.parse('2026-07-03T09:00:00.000Z'))],
  ['maintained', result('maintained', NOW - 10_000, { ok: false, maintenance: true })],
  ['job-late', result('job-late', NOW - MIN)],
  ['job-running', result('job-running', NOW - MIN, { ok: false })],
  ['job-waiting', result('job-waiting', NOW - MIN, { ok: false })],
]);

/** What the PushMonitor would say: expected runs relative to NOW; job-running's job said it started. */
const expected: Record<string, number> = {
  'job-late': NOW - 10_000,
  'job-running': NOW - 10_000,
  'job-waiting': NOW + 10_000,
  'job-first': NOW - MIN + 1,
};
const sink = {
  ping: () => ({ accepted: false as const, reason: 'test' }),
  report: () => ({ accepted: false as const, reason: 'test' }),
};
/** The PushMonitor's view: a run is open (pending) from before its expected time until its deadline. */
const withOpen: PushExpectations = {
  open: (name) => {
    const at = expected[name];
    if (at === undefined || at > NOW) return undefined;
    return { scheduledAt: at, running: name === 'job-running', deadline: at + MIN };
  },
};
/** A sink that only knows the next expected time: the grace is taken from the config. */
const nextOnly: PushExpectations = { nextExpected: (name) => expected[name] };

describe('check state in the API', () => {
  for (const [what, push] of [
    ['open runs', withOpen],
    ['the next expected time only', nextOnly],
  ] as const) {
    it(`GET /api/v1/checks and /checks/{name}: late, maintenance, or the newest verdict (push: ${what})`, async () => {
      const health = createHealth({ checks: {} });
      const server = createApiServer({
        checks: () => checks,
        latest: () => latest,
        metrics: createMetrics(() => latest),
        health,
        now: () => NOW,
        push: { ...sink, ...push },
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const body = (await (await fetch(`${base}/api/v1/checks`)).json()) as {
          checks: { name: string; state: string }[];
        };
        assert.deepEqual(Object.fromEntries(body.checks.map((c) => [c.name, c.state])), {
          fresh: 'down',
          stale: 'late', // two runs of 1m and the 1s timeout have passed since
          'at-the-bound': 'degraded',
          jittered: 'up', // its 30 s of jitter count as slack
          weekdays: 'up', // Monday's run is not due yet
          maintained: 'maintenance',
          never: 'unknown',
          'job-late': 'late', // expected 10 s ago, 1 m of grace
          // The job said it started: running, not late (a sink without open() cannot know).
          'job-running': push === withOpen ? 'down' : 'late',
          'job-waiting': 'down',
          'job-first': 'late', // no result yet, but its first ping is overdue
        });
        for (const [name, state] of [
          ['stale', 'late'],
          ['job-late', 'late'],
          ['maintained', 'maintenance'],
        ]) {
          const one = (await (await fetch(`${base}/api/v1/checks/${name}`)).json()) as { state: string };
          assert.equal(one.state, state, name);
        }
      } finally {
        health.stop();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }

  it('the OpenAPI document lists every state', () => {
    const { schemas } = OPENAPI.components;
    assert.deepEqual(schemas.Check.properties.state, { $ref: '#/components/schemas/CheckState' });
    assert.deepEqual(schemas.CheckState.enum, CHECK_STATES);
    assert.deepEqual(schemas.Update.properties.state, { $ref: '#/components/schemas/CheckState' });
  });

  it('resultStates: the state of a fresh result by its check, following a reload', () => {
    let config: readonly ResolvedCheck[] = [makeCheck({ name: 'api' })];
    let now = NOW;
    const stateOf = resultStates(
      () => config,
      createStateReader(),
      () => now,
    );
    const r = result('api', NOW - 3 * MIN);
    assert.equal(stateOf(r), 'late', 'every 1m: three minutes old is overdue');
    config = [makeCheck({ name: 'api', schedule: { kind: 'every', intervalMs: 10 * MIN } })];
    assert.equal(stateOf(r), 'up', 'after the reload it runs every 10m');
    assert.equal(stateOf(result('gone', NOW, { ok: false })), 'down', 'a check no longer configured: its verdict');
    now = NOW + 30 * MIN;
    assert.equal(stateOf(r), 'late');
  });
});
