import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Schedule } from '../config/resolved.js';
import { createRunPlanner, type RunPlanner } from './next-run.js';
import { createRunTimeline, TIMELINE_RUNS, TIMELINE_STEPS } from './run-timeline.js';

const HOUR = 3_600_000;
const T = Date.parse('2026-03-20T00:00:00.000Z');

/** A planner that counts its steps. */
function counting(): RunPlanner & { steps(): number } {
  const planner = createRunPlanner();
  let steps = 0;
  return {
    next: (schedule, after, anchor) => {
      steps += 1;
      return planner.next(schedule, after, anchor);
    },
    previous: (schedule, at) => {
      steps += 1;
      return planner.previous(schedule, at);
    },
    steps: () => steps,
  };
}

/** What croner says, a step at a time (its own parsed pattern, not the timeline's). */
const reference = createRunPlanner();
const direct = (schedule: Schedule, t: number) => {
  const first = reference.next(schedule, t, t);
  return [first, reference.next(schedule, first, first)];
};

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('run timeline', () => {
  const schedules: Schedule[] = [
    { kind: 'cron', pattern: '*/5 * * * *', timezone: 'UTC' },
    { kind: 'cron', pattern: '0 9 * * 1-5', timezone: 'UTC' },
    // Across the end of daylight saving time in Berlin (2026-03-29), 02:30 does not exist that day.
    { kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' },
    { kind: 'cron', pattern: '*/20 * * * * *', timezone: 'UTC' },
  ];

  for (const schedule of schedules) {
    if (schedule.kind !== 'cron') continue;
    it(`${schedule.pattern} (${schedule.timezone}): the two runs after any time, read in any order, as croner says`, () => {
      const timeline = createRunTimeline();
      const rand = random(7);
      const span = schedule.pattern.split(' ').length === 6 ? HOUR : 20 * 24 * HOUR;
      // Forward, then backward, then random: each path of the list (extend, reach back, search).
      const times = [
        ...Array.from({ length: 20 }, (_, i) => T + (i * span) / 20),
        ...Array.from({ length: 20 }, (_, i) => T - (i * span) / 20),
        ...Array.from({ length: 40 }, () => T + Math.floor((rand() - 0.5) * 4 * span)),
      ];
      for (const t of times)
        assert.deepEqual(timeline.twoAfter(schedule, t), direct(schedule, t), new Date(t).toISOString());
      // A run time itself: the runs strictly after it.
      const run = direct(schedule, T)[0] as number;
      assert.deepEqual(timeline.twoAfter(schedule, run), direct(schedule, run));
      assert.deepEqual(timeline.twoAfter(schedule, run - 1), [run, direct(schedule, run)[0]]);
    });
  }

  it('every: one and two intervals after the time, no planner step', () => {
    const planner = counting();
    const timeline = createRunTimeline(planner);
    assert.deepEqual(timeline.twoAfter({ kind: 'every', intervalMs: 60_000 }, T), [T + 60_000, T + 120_000]);
    assert.equal(planner.steps(), 0);
  });

  it('checks sharing a pattern share its runs: one step per planned run, not per read', () => {
    const planner = counting();
    const timeline = createRunTimeline(planner);
    const schedule: Schedule = { kind: 'cron', pattern: '*/5 * * * *', timezone: 'UTC' };
    // 10,000 checks, each with a result somewhere in the same hour: 12 runs of */5 in it, 2 more after.
    for (let i = 0; i < 10_000; i++) timeline.twoAfter(schedule, T + ((i * 7919) % HOUR));
    assert.ok(planner.steps() <= 12 + 2 + 2, `${planner.steps()} steps`);
    // The hour after: results arrive in time order, one step per run.
    const before = planner.steps();
    for (let m = 60; m < 120; m += 5) timeline.twoAfter(schedule, T + m * 60_000 + 1_000);
    assert.ok(planner.steps() - before <= 12, `${planner.steps() - before} steps`);
  });

  it('stays bounded: at most TIMELINE_RUNS runs kept, and a time far back is computed on its own', () => {
    const planner = counting();
    const timeline = createRunTimeline(planner);
    const schedule: Schedule = { kind: 'cron', pattern: '* * * * *', timezone: 'UTC' };
    // More minutes than the list keeps, read forward: it keeps the newest runs and still answers right.
    const minutes = TIMELINE_RUNS + 100;
    for (let m = 0; m < minutes; m += 1) timeline.twoAfter(schedule, T + m * 60_000 + 30_000);
    assert.equal(timeline.size(), TIMELINE_RUNS);
    const last = T + (minutes - 1) * 60_000 + 30_000;
    assert.deepEqual(timeline.twoAfter(schedule, last - 60_000), direct(schedule, last - 60_000));
    const far = T - 1_000 * 60_000; // 1000 minutes back: many more than TIMELINE_STEPS from the list
    const steps = planner.steps();
    assert.deepEqual(timeline.twoAfter(schedule, far), direct(schedule, far));
    assert.ok(planner.steps() - steps <= TIMELINE_STEPS + 2, 'gives up reaching back after the bound');
    assert.ok(timeline.size() <= TIMELINE_RUNS);
  });

  it('a cron pattern with no run after the time: undefined', () => {
    const timeline = createRunTimeline();
    // February 30th never comes.
    assert.equal(timeline.twoAfter({ kind: 'cron', pattern: '0 0 30 2 *', timezone: 'UTC' }, T), undefined);
  });
});
