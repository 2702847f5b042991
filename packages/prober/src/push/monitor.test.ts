import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { ResolvedCheck } from '../config/resolved.js';
import type { CheckResult } from '../domain/result.js';
import { makeCheck } from '../testing/check.js';
import { FakeClock } from '../testing/fake-clock.js';
import { createPushMonitor } from './monitor.js';

const T = Date.parse('2026-11-27T07:59:00.000Z');
const SEC = 1_000;
const MIN = 60 * SEC;
const silent = pino({ level: 'silent' });

function pushCheck(overrides: Partial<ResolvedCheck> = {}): ResolvedCheck {
  return makeCheck({
    name: 'job',
    kind: 'push',
    target: { kind: 'push' },
    url: 'push:job',
    displayUrl: '/api/v1/push/job',
    schedule: { kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' },
    push: { graceMs: 10 * MIN, maxRunTimeMs: null, token: 'a-token-of-24-characters' },
    ...overrides,
  });
}

function setup(check = pushCheck(), options: { lastScheduled?: Map<string, number>; start?: number } = {}) {
  const clock = new FakeClock(options.start ?? T);
  const results: { result: CheckResult; catchUp: boolean }[] = [];
  const reported: CheckResult[] = [];
  const monitor = createPushMonitor({
    checks: [check],
    logger: silent,
    clock,
    onResult: (result, catchUp) => results.push({ result, catchUp }),
    onReported: (result) => reported.push(result),
    ...(options.lastScheduled ? { lastScheduled: options.lastScheduled, missedRunWindowMs: 15 * MIN } : {}),
  });
  monitor.start();
  const ping = (kind: 'success' | 'start' | 'fail' = 'success', body = '') =>
    monitor.ping('job', { kind, time: clock.now(), body });
  const summary = () =>
    results.map(({ result }) => [result.scheduledAt?.slice(11, 16), result.ok ? 'up' : result.error?.code]);
  return { clock, monitor, results, reported, ping, summary };
}

describe('push monitor', () => {
  it('an on-time ping decides the run at once: one up result', async () => {
    const t = setup();
    await t.clock.advance(MIN + 5 * SEC);
    assert.deepEqual(t.ping(), { accepted: true, scheduledAt: T + MIN, state: 'up' });
    await t.clock.advance(0);
    assert.deepEqual(t.summary(), [['08:00', 'up']]);
    await t.clock.advance(30 * MIN);
    assert.equal(t.results.length, 1, 'nothing more until the next day');
    await t.monitor.stop();
  });

  it('no ping: missed at the deadline; the next day is its own result', async () => {
    const t = setup();
    await t.clock.advance(MIN + 10 * MIN - 1);
    assert.equal(t.results.length, 0);
    assert.equal(t.monitor.open('job')?.deadline, T + 11 * MIN);
    await t.clock.advance(1);
    assert.deepEqual(t.summary(), [['08:00', 'missed']]);
    await t.clock.advance(24 * 60 * MIN);
    assert.deepEqual(t.summary(), [
      ['08:00', 'missed'],
      ['08:00', 'missed'],
    ]);
    await t.monitor.stop();
  });

  it('a ping a little early counts for the coming run; one far too late is refused', async () => {
    const t = setup();
    await t.clock.advance(30 * SEC); // 07:59:30
    assert.deepEqual(t.ping(), { accepted: true, scheduledAt: T + MIN, state: 'up' });
    await t.clock.advance(MIN);
    assert.deepEqual(t.summary(), [['08:00', 'up']]);
    await t.clock.advance(20 * MIN);
    const late = t.ping();
    assert.equal(late.accepted, false);
    await t.monitor.stop();
  });

  it('start then end: running in between, up with the run time; fail: failed with the message', async () => {
    const t = setup();
    await t.clock.advance(2 * MIN);
    assert.deepEqual(t.ping('start'), { accepted: true, scheduledAt: T + MIN, state: 'running' });
    assert.equal(t.monitor.open('job')?.running, true);
    await t.clock.advance(8 * MIN); // 08:09; a started run has its grace from its start (08:11), not from 08:00
    assert.equal(t.monitor.open('job')?.deadline, T + 12 * MIN);
    assert.equal(t.results.length, 0);
    t.ping('fail', 'disk full\nmore');
    await t.clock.advance(0);
    assert.equal(t.results[0]?.result.error?.code, 'job_failed');
    assert.match(t.results[0]?.result.error?.message ?? '', /reported a failure: disk full$/);
    assert.equal(t.results[0]?.result.durationMs, 8 * MIN);
    await t.monitor.stop();
  });

  it('a report stores each result under its own name and counts as the ping', async () => {
    const t = setup();
    await t.clock.advance(MIN);
    const result = (check: string, ok: boolean): CheckResult => ({
      time: new Date(t.clock.now()).toISOString(),
      check,
      url: `http://${check}/`,
      status: ok ? 200 : 503,
      ok,
      durationMs: 3,
      phases: { dns: 0, connect: 0, tls: 0, ttfb: 0, transfer: 0, total: 3 },
      ...(ok ? {} : { error: { code: 'http_status' as const, message: 'status 503 is not in 200-399' } }),
    });
    const outcome = t.monitor.report('job', [result('api', true), result('db', false)], t.clock.now());
    assert.deepEqual(outcome, { accepted: true, scheduledAt: T + MIN, state: 'failed' });
    await t.clock.advance(0);
    assert.deepEqual(
      t.reported.map((r) => r.check),
      ['api', 'db'],
    );
    assert.match(t.results[0]?.result.error?.message ?? '', /1 of 2 check\(s\) failed: db: http_status status 503/);
    await t.monitor.stop();
  });

  it('stopped with a run open: nothing is decided (a restart decides it)', async () => {
    const t = setup();
    await t.clock.advance(3 * MIN);
    assert.ok(t.monitor.open('job'));
    await t.monitor.stop();
    await t.clock.advance(60 * MIN);
    assert.equal(t.results.length, 0);
  });

  it('restarted after the deadline of a run it had opened: exactly one missed, as a catch-up', async () => {
    // The previous process stored the run of the day before, opened 08:00, and was killed at 08:05.
    const lastScheduled = new Map([['job', T + MIN - 24 * 60 * MIN]]);
    const t = setup(pushCheck(), { lastScheduled, start: T + 13 * MIN });
    await t.clock.advance(0);
    assert.deepEqual(t.summary(), [['08:00', 'missed']]);
    assert.equal(t.results[0]?.catchUp, true);
    await t.clock.advance(60 * MIN);
    assert.equal(t.results.length, 1);
    await t.monitor.stop();
  });

  it('restarted inside the grace: the run is open again and a ping still counts', async () => {
    const lastScheduled = new Map([['job', T + MIN - 24 * 60 * MIN]]);
    const t = setup(pushCheck(), { lastScheduled, start: T + 6 * MIN });
    await t.clock.advance(SEC);
    assert.equal(t.monitor.open('job')?.scheduledAt, T + MIN);
    t.ping();
    await t.clock.advance(0);
    assert.deepEqual(t.summary(), [['08:00', 'up']]);
    await t.monitor.stop();
  });

  it('restarted after a run that was stored: nothing invented', async () => {
    const lastScheduled = new Map([['job', T + MIN]]);
    const t = setup(pushCheck(), { lastScheduled, start: T + 13 * MIN });
    await t.clock.advance(60 * MIN);
    assert.equal(t.results.length, 0);
    await t.monitor.stop();
  });

  it('`every`: the first run after start is skipped (the job phase is unknown); then any phase works', async () => {
    const check = pushCheck({
      schedule: { kind: 'every', intervalMs: MIN },
      push: { graceMs: 10 * SEC, maxRunTimeMs: null, token: 'a-token-of-24-characters' },
    });
    const t = setup(check);
    // The job pings 45 s into each minute of the monitor's grid.
    for (let i = 0; i < 4; i++) {
      await t.clock.advance(45 * SEC);
      assert.equal(t.ping().accepted, true, `ping ${i}`);
      await t.clock.advance(15 * SEC);
    }
    await t.clock.advance(SEC);
    assert.deepEqual(
      t.results.map(({ result }) => (result.ok ? 'up' : result.error?.code)),
      ['up', 'up', 'up', 'up'],
    );
    await t.clock.advance(2 * MIN + 10 * SEC); // the runs at 5:00 and 6:00 pass their 10 s grace
    assert.deepEqual(
      t.results.slice(4).map(({ result }) => result.error?.code),
      ['missed', 'missed'],
    );
    await t.monitor.stop();
  });
});

describe('push monitor: next expected run', () => {
  it('the open run while one is open, else the next planned one', async () => {
    const clock = new FakeClock(T);
    const monitor = createPushMonitor({
      checks: [pushCheck()],
      logger: silent,
      clock,
      onResult: () => {},
      onReported: () => {},
    });
    monitor.start();
    assert.equal(monitor.nextExpected('job'), T + MIN);
    await clock.advance(3 * MIN);
    assert.equal(monitor.nextExpected('job'), T + MIN, 'still open: a ping now counts for 08:00');
    await clock.advance(10 * MIN);
    assert.equal(monitor.nextExpected('job'), T + MIN + 24 * 60 * MIN);
    assert.equal(monitor.nextExpected('nope'), undefined);
    await monitor.stop();
  });
});

describe('push monitor: runs due together', () => {
  it('are decided together: the missed runs of checks on one grid reach onResult in one turn of the event loop', async () => {
    const clock = new FakeClock(T);
    const names = ['a', 'b', 'c'];
    /** Results per turn of the event loop (a turn ends at the next setImmediate). */
    const turns: string[][] = [];
    let open = false;
    const monitor = createPushMonitor({
      checks: names.map((name) => pushCheck({ name, displayUrl: `/api/v1/push/${name}` })),
      logger: silent,
      clock,
      onResult: (result) => {
        if (!open) {
          open = true;
          turns.push([]);
          setImmediate(() => {
            open = false;
          });
        }
        turns.at(-1)?.push(`${result.check} ${result.error?.code}`);
      },
      onReported: () => {},
    });
    monitor.start();
    await clock.advance(MIN + 10 * MIN); // 08:00 plus its 10 min grace, nobody pinged
    assert.deepEqual(turns, [['a missed', 'b missed', 'c missed']]);
    await monitor.stop();
  });
});

describe('push monitor on the shared slot grid (several monitors, issue #13)', () => {
  const every = (name: string) =>
    pushCheck({
      name,
      url: `push:${name}`,
      displayUrl: `/api/v1/push/${name}`,
      schedule: { kind: 'every', intervalMs: 5 * MIN },
      push: { graceMs: MIN, maxRunTimeMs: null, token: 'a-token-of-24-characters' },
    });

  function member(start: number, owns: (check: string) => boolean) {
    const clock = new FakeClock(start);
    const results: CheckResult[] = [];
    const monitor = createPushMonitor({
      checks: [every('job')],
      logger: silent,
      clock,
      grid: true,
      owns,
      onResult: (result) => results.push(result),
      onReported: () => {},
    });
    monitor.start();
    return { clock, monitor, results };
  }

  it('expects the same runs on members started at different times, and only the owner decides them', async () => {
    const a = member(T, () => true);
    const b = member(T + 97 * SEC, () => false);
    assert.equal(a.monitor.nextExpected('job'), b.monitor.nextExpected('job'), 'one grid, whenever a member started');
    await b.clock.advance(30 * MIN);
    assert.deepEqual(b.results, [], 'a member that does not own the check opens no run, so decides none');
    assert.equal(b.monitor.open('job'), undefined);
    await a.clock.advance(30 * MIN);
    assert.ok(a.results.length >= 5, 'the owner decides every expected run (missed: nobody pinged)');
    assert.ok(a.results.every((r) => r.error?.code === 'missed'));
    const slots = a.results.map((r) => Date.parse(r.scheduledAt as string));
    for (const slot of slots) assert.equal((slot - (slots[0] as number)) % (5 * MIN), 0, 'runs on one grid');
    await a.monitor.stop();
    await b.monitor.stop();
  });

  it('decides the first expected run after the start (no skipped start run on the grid)', async () => {
    const a = member(T, () => true);
    const first = a.monitor.nextExpected('job') as number;
    a.monitor.ping('job', { kind: 'success', time: first, body: '' });
    await a.clock.advance(first - T + 1);
    assert.equal(a.results[0]?.ok, true);
    assert.equal(a.results[0]?.scheduledAt, new Date(first).toISOString());
    await a.monitor.stop();
  });
});
