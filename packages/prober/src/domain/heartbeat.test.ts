import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextRunTimes } from '../scheduler/next-run.js';
import { initialAlertState, onResult } from './alert-policy.js';
import { DEFAULT_ALERT_POLICY } from './alerts.js';
import {
  accepts,
  deadline,
  earlyTolerance,
  NO_PINGS,
  type Slot,
  type SlotPings,
  slotResult,
  verdict,
  withPing,
} from './heartbeat.js';

const T = Date.parse('2026-11-27T08:00:00.000Z');
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const check = { name: 'seed-job', displayUrl: '/api/v1/push/seed-job' };
const daily: Slot = {
  scheduledAt: T,
  earlyMs: earlyTolerance(10 * MIN, DAY, false),
  graceMs: 10 * MIN,
  maxRunTimeMs: null,
};

type Step = [minutes: number, kind: 'success' | 'start' | 'fail'];

/** Feeds pings (only those the slot accepts) and asks for the verdict at `nowMinutes`. */
function outcome(steps: Step[], nowMinutes: number, slot: Slot = daily) {
  let pings: SlotPings = NO_PINGS;
  const refused: number[] = [];
  for (const [minutes, kind] of steps) {
    const time = T + minutes * MIN;
    if (accepts(slot, pings, time))
      pings = withPing(pings, kind, { time, body: kind === 'fail' ? 'exit 3\nstack' : '' });
    else refused.push(minutes);
  }
  return { verdict: verdict(slot, pings, T + nowMinutes * MIN), refused, pings };
}

describe('heartbeat: one expected run', () => {
  const cases: [string, Step[], number, string][] = [
    ['on time', [[0.05, 'success']], 1, 'up'],
    ['late, within the grace', [[9, 'success']], 10, 'up'],
    ['nothing yet, inside the grace: pending', [], 9, 'pending'],
    ['nothing by the deadline: missed', [], 10, 'missed'],
    ['a ping after the deadline is too late: missed', [[11, 'success']], 11, 'missed'],
    ['a ping that arrives early (clock skew) counts', [[-2, 'success']], 1, 'up'],
    ['a ping far too early (a manual run hours before) does not', [[-180, 'success']], 10, 'missed'],
    ['the job reported a failure', [[1, 'fail']], 2, 'failed'],
    ['start without end: running, then timeout at start + grace', [[5, 'start']], 14, 'pending'],
    ['start without end: timeout', [[5, 'start']], 15, 'timeout'],
    [
      'start then end: up, with the run time',
      [
        [1, 'start'],
        [4, 'success'],
      ],
      5,
      'up',
    ],
    ['end without start: up', [[3, 'success']], 4, 'up'],
    [
      'a second end is ignored',
      [
        [1, 'success'],
        [2, 'fail'],
      ],
      3,
      'up',
    ],
  ];
  for (const [name, steps, now, expected] of cases) {
    it(name, () => assert.equal(outcome(steps, now).verdict.kind, expected));
  }

  it('a started run keeps the slot open past the grace, and says it is running', () => {
    const { verdict: v } = outcome([[9, 'start']], 12);
    assert.deepEqual(v, { kind: 'pending', until: T + 19 * MIN, running: true });
    assert.equal(
      outcome(
        [
          [9, 'start'],
          [18, 'success'],
        ],
        19,
      ).verdict.kind,
      'up',
    );
  });

  it('maxRunTime bounds a started run', () => {
    const bounded = { ...daily, maxRunTimeMs: 3 * MIN };
    assert.equal(deadline(bounded, { started: { time: T + MIN, body: '' }, ended: null }), T + 4 * MIN);
    assert.equal(outcome([[1, 'start']], 4, bounded).verdict.kind, 'timeout');
    assert.equal(
      outcome(
        [
          [1, 'start'],
          [3, 'success'],
        ],
        4,
        bounded,
      ).verdict.kind,
      'up',
    );
  });

  it('each verdict is one result, with the expected time as scheduledAt', () => {
    const missed = outcome([], 10).verdict;
    assert.ok(missed.kind === 'missed');
    const result = slotResult(check, daily, missed);
    assert.deepEqual(result.error, {
      code: 'missed',
      message: 'no ping for the run expected at 2026-11-27T08:00:00.000Z within its grace of 10m',
    });
    assert.equal(result.scheduledAt, '2026-11-27T08:00:00.000Z');
    assert.equal(result.ok, false);
    assert.equal(result.url, '/api/v1/push/seed-job');

    const up = outcome(
      [
        [1, 'start'],
        [4, 'success'],
      ],
      5,
    ).verdict;
    assert.ok(up.kind === 'up');
    const ok = slotResult(check, daily, up);
    assert.deepEqual([ok.ok, ok.time, ok.durationMs], [true, '2026-11-27T08:01:00.000Z', 3 * MIN]);

    const failed = outcome([[1, 'fail']], 2).verdict;
    assert.ok(failed.kind === 'failed');
    assert.deepEqual(slotResult(check, daily, failed).error, {
      code: 'job_failed',
      message: 'the run expected at 2026-11-27T08:00:00.000Z reported a failure: exit 3',
    });

    const timeout = outcome([[5, 'start']], 15).verdict;
    assert.ok(timeout.kind === 'timeout');
    assert.match(
      slotResult(check, daily, timeout).error?.message ?? '',
      /started at 2026-11-27T08:05:00.000Z and did not end within 10m/,
    );
  });

  it('two runs missed in a row: two results, one incident (push checks page on the first miss)', () => {
    const policy = { ...DEFAULT_ALERT_POLICY, failureThreshold: 1, successThreshold: 1, channels: ['oncall'] };
    let state = initialAlertState('seed-job', T);
    const notified: string[] = [];
    const results = [0, 1].map((day) => {
      const slot = { ...daily, scheduledAt: T + day * DAY };
      const v = verdict(slot, NO_PINGS, slot.scheduledAt + slot.graceMs);
      assert.ok(v.kind === 'missed');
      return slotResult(check, slot, v);
    });
    for (const result of results) {
      const step = onResult(
        state,
        { time: Date.parse(result.time), ok: result.ok, error: result.error ?? null, maintenance: false },
        policy,
      );
      notified.push(...step.notifications.map((n) => n.kind));
      state = step.state;
    }
    assert.equal(results.length, 2);
    assert.deepEqual(notified, ['firing']);
    assert.equal(state.incident?.failures, 2);
  });

  it('DST: expected runs follow the job time zone, and each keeps its own slot', () => {
    // Europe/Berlin springs forward on 2026-03-29 (02:00 -> 03:00) and falls back on 2026-10-25.
    const schedule = { kind: 'cron' as const, pattern: '0 8 * * *', timezone: 'Europe/Berlin' };
    const spring = nextRunTimes(schedule, Date.parse('2026-03-27T12:00:00Z'), 0, 3).map((t) =>
      new Date(t).toISOString(),
    );
    assert.deepEqual(spring, ['2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z']);
    // A ping at 08:01 Berlin time on the day after the change is on time for that day's run, not late for the day before.
    const slot: Slot = { ...daily, scheduledAt: Date.parse('2026-03-29T06:00:00Z') };
    assert.equal(accepts(slot, NO_PINGS, Date.parse('2026-03-29T06:01:00Z')), true);
    const autumn = nextRunTimes(schedule, Date.parse('2026-10-24T12:00:00Z'), 0, 2).map((t) =>
      new Date(t).toISOString(),
    );
    assert.deepEqual(autumn, ['2026-10-25T07:00:00.000Z', '2026-10-26T07:00:00.000Z']);
  });

  it('early tolerance: a whole interval for `every`, the grace but at most half the gap for cron', () => {
    assert.equal(earlyTolerance(30_000, 60_000, true), 60_000);
    assert.equal(earlyTolerance(10 * MIN, DAY, false), 10 * MIN);
    assert.equal(earlyTolerance(4_000, 5_000, false), 2_500);
  });
});
