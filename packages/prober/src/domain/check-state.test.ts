import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CheckState, checkState, overdueAt, type StateFacts } from './check-state.js';
import { type CheckResult, NO_PHASES } from './result.js';

const T = Date.parse('2026-06-30T12:00:00.000Z');
const MIN = 60_000;

const result = (fields: Partial<CheckResult> = {}): CheckResult => ({
  time: new Date(T).toISOString(),
  check: 'api',
  url: 'http://api:3000/',
  status: 200,
  ok: true,
  durationMs: 3,
  phases: NO_PHASES,
  ...fields,
});

describe('checkState', () => {
  const cases: [string, StateFacts, CheckState][] = [
    ['no result yet', { latest: undefined, now: T }, 'unknown'],
    ['passed', { latest: result(), now: T }, 'up'],
    ['failed', { latest: result({ ok: false, status: 503 }), now: T }, 'down'],
    ['passed but degraded', { latest: result({ degraded: true }), now: T }, 'degraded'],
    ['failed inside a maintenance window', { latest: result({ ok: false, maintenance: true }), now: T }, 'maintenance'],
    ['passed inside a maintenance window', { latest: result({ maintenance: true }), now: T }, 'maintenance'],
    [
      'not overdue yet (at the bound)',
      { latest: result({ ok: false }), now: T + 2 * MIN, overdueAt: T + 2 * MIN },
      'down',
    ],
    ['overdue', { latest: result(), now: T + 2 * MIN + 1, overdueAt: T + 2 * MIN }, 'late'],
    [
      'overdue beats maintenance: the monitor is not running it',
      { latest: result({ maintenance: true }), now: T + 3 * MIN, overdueAt: T + 2 * MIN },
      'late',
    ],
    ['never overdue (no further planned run)', { latest: result(), now: T + 999 * MIN, overdueAt: undefined }, 'up'],
    [
      'push: expected time passed, inside the grace',
      { latest: result(), now: T + MIN, awaiting: { expectedAt: T + MIN, deadline: T + 2 * MIN } },
      'late',
    ],
    [
      'push: late before its first result ever',
      { latest: undefined, now: T + MIN + 1, awaiting: { expectedAt: T + MIN, deadline: T + 2 * MIN } },
      'late',
    ],
    [
      'push: expected time not come yet',
      { latest: result({ ok: false }), now: T + MIN - 1, awaiting: { expectedAt: T + MIN, deadline: T + 2 * MIN } },
      'down',
    ],
    [
      'push: grace over (the verdict is the result that follows)',
      { latest: result(), now: T + 2 * MIN, awaiting: { expectedAt: T + MIN, deadline: T + 2 * MIN } },
      'up',
    ],
    [
      'push: not expected yet and never ran',
      { latest: undefined, now: T, awaiting: { expectedAt: T + MIN, deadline: T + 2 * MIN } },
      'unknown',
    ],
  ];
  for (const [name, facts, expected] of cases) {
    it(`${name}: ${expected}`, () => assert.equal(checkState(facts), expected));
  }
});

describe('overdueAt', () => {
  const every = (intervalMs: number) => (after: number) => after + intervalMs;
  it('every: twice the interval plus the slack after the result', () => {
    assert.equal(overdueAt(T, 1_000, every(MIN)), T + 2 * MIN + 1_000);
    assert.equal(overdueAt(T, 0, every(10_000)), T + 20_000);
  });

  it('cron: the second planned run after the result, however far the calendar puts it', () => {
    // Weekdays at 09:00: a Friday run is overdue only after Tuesday's run (Monday's missed, then Tuesday's).
    const DAY = 86_400_000;
    const friday = Date.parse('2026-07-03T09:00:00Z');
    const weekdays = (after: number) => {
      let t = Math.floor(after / DAY) * DAY + 9 * 3_600_000;
      while (t <= after || [0, 6].includes(new Date(t).getUTCDay())) t += DAY;
      return t;
    };
    assert.equal(overdueAt(friday, 5_000, weekdays), Date.parse('2026-07-07T09:00:05Z'));
  });

  it('no planned run after the result, or only one: never overdue', () => {
    assert.equal(
      overdueAt(T, 0, () => undefined),
      undefined,
    );
    assert.equal(
      overdueAt(T, 0, (after) => (after === T ? T + MIN : undefined)),
      undefined,
    );
  });
});
