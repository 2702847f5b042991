import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedCheck, Schedule } from '../config/resolved.js';
import { makeCheck } from '../testing/check.js';
import { FakeClock } from '../testing/fake-clock.js';
import { createScheduler, type RunContext } from './scheduler.js';

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
