import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedCheck, Schedule } from '../config/resolved.js';
import { gridAnchor, slotJitter } from '../domain/slots.js';
import { makeCheck } from '../testing/check.js';
import { FakeClock } from '../testing/fake-clock.js';
import { createScheduler, LAUNCH_BATCH, type RunContext } from './scheduler.js';

const check = (name: string, schedule: Schedule): ResolvedCheck => makeCheck({ name, schedule });

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('createScheduler', () => {
  it('runs an every-check at start and then on its interval', async () => {
    const clock = new FakeClock(0);
    const runs: number[] = [];
    const scheduler = createScheduler({
      clock,
      checks: [check('a', { kind: 'every', intervalMs: 10_000 })],
      run: async (_c, ctx) => {
        runs.push(ctx.scheduledAt);
      },
    });
    scheduler.start();
    await clock.advance(35_000);
    assert.deepEqual(runs, [0, 10_000, 20_000, 30_000]);
    await scheduler.stop(1_000);
    assert.equal(clock.pending, 0, 'stop clears every timer');
  });

  it('fires the seed cron check at 08:00 and not before', async () => {
    const clock = new FakeClock(new Date('2026-05-01T07:59:00Z'));
    const runs: string[] = [];
    const scheduler = createScheduler({
      clock,
      checks: [check('daily', { kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' })],
      run: async (_c, ctx) => {
        runs.push(new Date(ctx.scheduledAt).toISOString());
      },
    });
    scheduler.start();
    await clock.advance(59_000);
    assert.deepEqual(runs, []);
    await clock.advance(2 * 86_400_000 + 1_000);
    assert.deepEqual(runs, ['2026-05-01T08:00:00.000Z', '2026-05-02T08:00:00.000Z', '2026-05-03T08:00:00.000Z']);
    await scheduler.stop(0);
  });

  it('waits in steps longer than setTimeout can take (a monthly schedule)', async () => {
    const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    const runs: string[] = [];
    const scheduler = createScheduler({
      clock,
      checks: [check('monthly', { kind: 'cron', pattern: '0 8 1 * *', timezone: 'UTC' })],
      run: async (_c, ctx) => {
        runs.push(new Date(ctx.scheduledAt).toISOString());
      },
    });
    scheduler.start();
    await clock.advance(62 * 86_400_000);
    assert.deepEqual(runs, ['2026-01-01T08:00:00.000Z', '2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z']);
    await scheduler.stop(0);
  });

  it('never overlaps a check with itself: a run still going makes the next one skipped', async () => {
    const clock = new FakeClock(0);
    const gate = deferred();
    let started = 0;
    const skippedAt: number[] = [];
    const scheduler = createScheduler({
      clock,
      checks: [check('slow', { kind: 'every', intervalMs: 1_000 })],
      run: async () => {
        started += 1;
        await gate.promise;
      },
      onSkip: (_c, at) => skippedAt.push(at),
    });
    scheduler.start();
    await clock.advance(2_500);
    assert.equal(started, 1);
    assert.deepEqual(skippedAt, [1_000, 2_000]);
    assert.equal(scheduler.skipped.get('slow'), 2);
    gate.resolve();
    await clock.advance(0); // let the finished run settle
    await clock.advance(1_000);
    assert.equal(started, 2);
    await scheduler.stop(0);
  });

  it('reports a run that rejects and keeps scheduling', async () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = createScheduler({
      clock,
      checks: [check('boom', { kind: 'every', intervalMs: 1_000 })],
      run: async () => {
        calls += 1;
        throw new Error('bug');
      },
      onError: (_c, error) => errors.push(error),
    });
    scheduler.start();
    await clock.advance(2_000);
    assert.equal(calls, 3);
    assert.equal(errors.length, 3);
    await scheduler.stop(0);
  });

  it('on stop, waits for in-flight runs; after the grace period it cancels them', async () => {
    const clock = new FakeClock(0);
    const contexts: RunContext[] = [];
    const finishing = deferred();
    const scheduler = createScheduler({
      clock,
      checks: [
        check('finishes', { kind: 'every', intervalMs: 60_000 }),
        check('hangs', { kind: 'every', intervalMs: 60_000 }),
      ],
      run: (c, ctx) => {
        contexts.push(ctx);
        if (c.name === 'finishes') return finishing.promise;
        return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      },
    });
    scheduler.start();
    await clock.advance(0);
    assert.equal(contexts.length, 2);
    const stopping = scheduler.stop(50);
    finishing.resolve();
    assert.equal(await stopping, 1, 'one run had to be cancelled');
    assert.ok(contexts.every((ctx) => ctx.signal.aborted));
  });

  it('stop resolves at once when nothing is running', async () => {
    const clock = new FakeClock(0);
    const scheduler = createScheduler({
      clock,
      checks: [check('a', { kind: 'every', intervalMs: 1_000 })],
      run: async () => {},
    });
    scheduler.start();
    await clock.advance(10);
    assert.equal(await scheduler.stop(10_000), 0);
  });
});

describe('createScheduler: jitter, concurrency, catch-up, updates', () => {
  it('delays each run by its jitter and reports the jittered time as scheduledAt', async () => {
    const clock = new FakeClock(0);
    const runs: number[] = [];
    const scheduler = createScheduler({
      clock,
      random: () => 0.5,
      checks: [makeCheck({ name: 'j', schedule: { kind: 'every', intervalMs: 10_000 }, jitterMs: 2_000 })],
      run: async (_c, ctx) => {
        runs.push(ctx.scheduledAt);
      },
    });
    scheduler.start();
    await clock.advance(25_000);
    assert.deepEqual(runs, [1_000, 11_000, 21_000]);
    await scheduler.stop(0);
  });

  it('caps concurrent runs; the rest wait in order, and their wait shows as lag', async () => {
    const clock = new FakeClock(0);
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const started: string[] = [];
    const checks = ['a', 'b', 'c', 'd'].map((name) =>
      makeCheck({ name, schedule: { kind: 'every', intervalMs: 60_000 } }),
    );
    const scheduler = createScheduler({
      clock,
      concurrency: 2,
      checks,
      run: async (c) => {
        started.push(c.name);
        const gate = deferred();
        gates.set(c.name, gate);
        await gate.promise;
      },
    });
    scheduler.start();
    await clock.advance(0);
    assert.deepEqual(started, ['a', 'b']);
    assert.equal(scheduler.queued, 2);
    gates.get('a')?.resolve();
    await clock.advance(0);
    assert.deepEqual(started, ['a', 'b', 'c']);
    for (const gate of gates.values()) gate.resolve();
    await clock.advance(0);
    for (const gate of gates.values()) gate.resolve();
    await clock.advance(0);
    assert.deepEqual(started, ['a', 'b', 'c', 'd']);
    await scheduler.stop(0);
  });

  it('runs the 08:00 check once at start when a restart at 07:59 made it miss 08:00', async () => {
    const daily = makeCheck({ name: 'daily', schedule: { kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' } });
    const run = async (startAt: string, lastScheduled: string | undefined, windowMs: number) => {
      const clock = new FakeClock(new Date(startAt));
      const runs: [string, boolean][] = [];
      const scheduler = createScheduler({
        clock,
        checks: [daily],
        lastScheduled: new Map(lastScheduled ? [['daily', Date.parse(lastScheduled)]] : []),
        missedRunWindowMs: windowMs,
        run: async (_c, ctx) => {
          runs.push([new Date(ctx.scheduledAt).toISOString(), ctx.catchUp]);
        },
      });
      scheduler.start();
      await clock.advance(0);
      await scheduler.stop(0);
      return runs;
    };
    // Down from 07:59 to 08:03; the last stored run was yesterday's 08:00.
    assert.deepEqual(await run('2026-05-02T08:03:00Z', '2026-05-01T08:00:00Z', 15 * 60_000), [
      ['2026-05-02T08:00:00.000Z', true],
    ]);
    // Back too late: outside the window, nothing is caught up.
    assert.deepEqual(await run('2026-05-02T09:00:00Z', '2026-05-01T08:00:00Z', 15 * 60_000), []);
    // Today's 08:00 already ran: nothing twice.
    assert.deepEqual(await run('2026-05-02T08:03:00Z', '2026-05-02T08:00:00Z', 15 * 60_000), []);
    // No history at all: a new check does not fire a run nobody missed.
    assert.deepEqual(await run('2026-05-02T08:03:00Z', undefined, 15 * 60_000), []);
  });

  it('applies an updated set of checks: added start, removed stop, changed restart', async () => {
    const clock = new FakeClock(0);
    const runs: string[] = [];
    const a = makeCheck({ name: 'a', schedule: { kind: 'every', intervalMs: 10_000 } });
    const b = makeCheck({ name: 'b', schedule: { kind: 'every', intervalMs: 10_000 } });
    const scheduler = createScheduler({
      clock,
      checks: [a, b],
      run: async (c) => {
        runs.push(`${c.name}@${clock.now()}:${c.url}`);
      },
    });
    scheduler.start();
    await clock.advance(5_000);
    const diff = scheduler.update([
      { ...a, url: 'http://a2/' },
      makeCheck({ name: 'c', schedule: { kind: 'every', intervalMs: 10_000 } }),
    ]);
    assert.deepEqual(diff, { added: ['c'], removed: ['b'], changed: ['a'] });
    await clock.advance(10_000);
    assert.deepEqual(runs, [
      'a@0:http://api:3000/healthcheck',
      'b@0:http://api:3000/healthcheck',
      'a@5000:http://a2/',
      'c@5000:http://api:3000/healthcheck',
      'a@15000:http://a2/',
      'c@15000:http://api:3000/healthcheck',
    ]);
    assert.deepEqual(
      scheduler.update([
        { ...a, url: 'http://a2/' },
        makeCheck({ name: 'c', schedule: { kind: 'every', intervalMs: 10_000 } }),
      ]),
      {
        added: [],
        removed: [],
        changed: [],
      },
    );
    await scheduler.stop(0);
  });
});

describe('createScheduler on a grid (cluster members)', () => {
  const every = (name: string, intervalMs: number, jitterMs = 0) =>
    makeCheck({ name, schedule: { kind: 'every', intervalMs }, jitterMs });
  /** The grid slots of an every-check strictly after `after`, up to `until`. */
  const slots = (name: string, intervalMs: number, after: number, until: number) => {
    const out: number[] = [];
    for (let at = gridAnchor(name, intervalMs); at <= until; at += intervalMs) if (at > after) out.push(at);
    return out;
  };

  it('plans the same slots on two schedulers started at different times, and runs nothing at start', async () => {
    const clock = new FakeClock(1_000_000);
    const runs: [number[], number[]] = [[], []];
    const make = (i: 0 | 1) =>
      createScheduler({
        clock,
        grid: true,
        checks: [every('api', 10_000), every('db', 10_000)],
        run: async (c, ctx) => {
          runs[i].push(ctx.scheduledAt);
          assert.equal(ctx.scheduledAt, clock.now(), `${c.name} runs when planned`);
        },
      });
    const first = make(0);
    first.start();
    await clock.advance(0);
    assert.deepEqual(runs[0], [], 'no run at start on a grid');
    await clock.advance(7_300);
    const second = make(1);
    second.start();
    await clock.advance(0);
    assert.deepEqual(runs[1], [], 'no run at start on a grid');
    await clock.advance(40_000);
    const end = 1_000_000 + 47_300;
    const expected = (after: number) =>
      [...slots('api', 10_000, after, end), ...slots('db', 10_000, after, end)].sort((a, b) => a - b);
    assert.deepEqual(runs[0], expected(1_000_000));
    assert.deepEqual(runs[1], expected(1_007_300));
    assert.deepEqual(
      runs[0].filter((at) => at > 1_007_300),
      runs[1],
      'the same run has the same scheduledAt on both',
    );
    assert.notEqual(gridAnchor('api', 10_000), gridAnchor('db', 10_000), 'checks of one interval are spread');
    await first.stop(0);
    await second.stop(0);
    assert.equal(clock.pending, 0);
  });

  it('takes jitter from the slot, not from random: the same on every scheduler (every and cron)', async () => {
    const clock = new FakeClock(Date.parse('2026-05-01T07:59:00Z'));
    const cron = makeCheck({
      name: 'daily',
      schedule: { kind: 'cron', pattern: '*/1 * * * *', timezone: 'UTC' },
      jitterMs: 30_000,
    });
    const runs: [string[], string[]] = [[], []];
    const make = (i: 0 | 1, random: number) =>
      createScheduler({
        clock,
        grid: true,
        random: () => random,
        checks: [every('api', 10_000, 5_000), cron],
        run: async (c, ctx) => {
          runs[i].push(`${c.name}@${ctx.scheduledAt}`);
        },
      });
    const schedulers = [make(0, 0.1), make(1, 0.9)];
    for (const s of schedulers) s.start();
    await clock.advance(3 * 60_000);
    assert.deepEqual(runs[0], runs[1]);
    const start = Date.parse('2026-05-01T07:59:00Z');
    const end = start + 3 * 60_000;
    const planned = [
      ...slots('api', 10_000, start, end).map((at) => ['api', at, 5_000] as const),
      ...[1, 2, 3].map((m) => ['daily', start + m * 60_000, 30_000] as const),
    ];
    const expected = planned
      .map(([name, at, jitterMs]) => [name, at + slotJitter(name, at, jitterMs)] as const)
      .filter(([, at]) => at <= end)
      .sort((a, b) => a[1] - b[1])
      .map(([name, at]) => `${name}@${at}`);
    assert.deepEqual(runs[0], expected);
    const jitters = new Set(slots('api', 10_000, start, end).map((at) => slotJitter('api', at, 5_000)));
    assert.ok(jitters.size > 1, 'the jitter still varies from run to run');
    for (const s of schedulers) await s.stop(0);
  });

  it('runs only owned checks: not owned is no run and no skip; owned again runs from the next slot', async () => {
    const clock = new FakeClock(0);
    let owned = false;
    const asked: string[] = [];
    const runs: number[] = [];
    const skips: number[] = [];
    const scheduler = createScheduler({
      clock,
      grid: true,
      owns: (name, at) => {
        asked.push(`${name}@${at}`);
        return owned;
      },
      checks: [every('api', 10_000)],
      run: async (_c, ctx) => {
        runs.push(ctx.scheduledAt);
      },
      onSkip: (_c, at) => skips.push(at),
    });
    scheduler.start();
    await clock.advance(35_000);
    assert.deepEqual(runs, []);
    assert.deepEqual(skips, []);
    assert.equal(scheduler.skipped.get('api'), undefined, 'not owned is not a skip');
    assert.deepEqual(
      asked,
      slots('api', 10_000, 0, 35_000).map((at) => `api@${at}`),
      'asked once per due slot, for the time it was due',
    );
    owned = true;
    await clock.advance(30_000);
    assert.deepEqual(runs, slots('api', 10_000, 35_000, 65_000));
    await scheduler.stop(0);
    assert.equal(clock.pending, 0);
  });

  it('lets a run in flight finish when ownership moves away, and starts none after', async () => {
    const clock = new FakeClock(0);
    let owned = true;
    const gate = deferred();
    const contexts: RunContext[] = [];
    let finished = 0;
    const scheduler = createScheduler({
      clock,
      grid: true,
      owns: () => owned,
      checks: [every('api', 10_000)],
      run: async (_c, ctx) => {
        contexts.push(ctx);
        await gate.promise;
        finished += 1;
      },
      onSkip: () => assert.fail('nothing is skipped'),
    });
    scheduler.start();
    await clock.advance(10_000);
    assert.equal(contexts.length, 1, 'the first slot ran');
    owned = false;
    await clock.advance(30_000);
    assert.equal(contexts.length, 1, 'no run after ownership moved');
    assert.equal(finished, 0, 'the run in flight is still going');
    gate.resolve();
    await clock.advance(0);
    assert.equal(finished, 1, 'and it finishes');
    assert.equal(contexts[0]?.signal.aborted, false, 'never cancelled');
    assert.equal(await scheduler.stop(0), 0);
  });

  it('catches up a missed cron run at start only when this member owns the check', async () => {
    const daily = makeCheck({ name: 'daily', schedule: { kind: 'cron', pattern: '0 8 * * *', timezone: 'UTC' } });
    const run = async (owned: boolean) => {
      const clock = new FakeClock(new Date('2026-05-02T08:03:00Z'));
      const runs: [string, boolean][] = [];
      const scheduler = createScheduler({
        clock,
        grid: true,
        owns: () => owned,
        checks: [daily],
        lastScheduled: new Map([['daily', Date.parse('2026-05-01T08:00:00Z')]]),
        missedRunWindowMs: 15 * 60_000,
        run: async (_c, ctx) => {
          runs.push([new Date(ctx.scheduledAt).toISOString(), ctx.catchUp]);
        },
      });
      scheduler.start();
      await clock.advance(0);
      await scheduler.stop(0);
      return runs;
    };
    assert.deepEqual(await run(true), [['2026-05-02T08:00:00.000Z', true]]);
    assert.deepEqual(await run(false), []);
  });
});

describe('createScheduler: one timer for every check', () => {
  it('holds one timer however many checks wait, and none once stopped', async () => {
    const clock = new FakeClock(0);
    const runs: string[] = [];
    const checks = Array.from({ length: 50 }, (_, i) => check(`c${i}`, { kind: 'every', intervalMs: 1_000 * (i + 1) }));
    const scheduler = createScheduler({ clock, checks, run: async (c) => void runs.push(c.name) });
    scheduler.start();
    await clock.advance(0);
    assert.equal(runs.length, 50, 'every check ran at start');
    assert.equal(clock.pending, 1, 'one timer, for the earliest next run');
    await clock.advance(2_000);
    assert.equal(runs.filter((name) => name === 'c0').length, 3);
    assert.equal(runs.filter((name) => name === 'c1').length, 2);
    await scheduler.stop(1_000);
    assert.equal(clock.pending, 0);
  });

  it('launches a burst of due runs in batches: a timer set as the burst starts fires before it ends', {
    timeout: 30_000,
  }, async () => {
    const total = LAUNCH_BATCH * 20;
    const checks = Array.from({ length: total }, (_, i) => check(`c${i}`, { kind: 'every', intervalMs: 3_600_000 }));
    let launched = 0;
    const finished = deferred();
    const scheduler = createScheduler({
      checks,
      run: async () => {
        if (++launched === total) finished.resolve();
      },
    });
    scheduler.start();
    // Set after the scheduler's own timer for the burst: it runs once the loop gets a turn between batches.
    const seen = await new Promise<number>((resolve) => setTimeout(() => resolve(launched), 0));
    await finished.promise;
    await scheduler.stop(1_000);
    assert.ok(seen >= LAUNCH_BATCH, `the first batch ran (${seen})`);
    assert.ok(seen < total, `the timer fired before the last run of the burst launched (${seen} of ${total})`);
  });
});
