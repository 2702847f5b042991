import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Schedule } from '../config/resolved.js';
import { nextRunTime, nextRunTimes } from './next-run.js';

const iso = (ms: number) => new Date(ms).toISOString();
const t = (s: string) => Date.parse(s);
const daily = (timezone: string): Schedule => ({ kind: 'cron', pattern: '0 8 * * *', timezone });

describe('nextRunTime', () => {
  it('runs the seed schedule at 08:00 UTC every day', () => {
    const runs = nextRunTimes(daily('UTC'), t('2026-03-01T07:59:00Z'), 0, 3).map(iso);
    assert.deepEqual(runs, ['2026-03-01T08:00:00.000Z', '2026-03-02T08:00:00.000Z', '2026-03-03T08:00:00.000Z']);
  });

  it('does not run 08:00 twice when asked at 08:00 exactly', () => {
    assert.equal(iso(nextRunTime(daily('UTC'), t('2026-03-01T08:00:00Z'), 0)), '2026-03-02T08:00:00.000Z');
  });

  const dst: [string, string, string[]][] = [
    // Berlin: CET -> CEST on 29 March 2026, CEST -> CET on 25 October 2026.
    [
      'Europe/Berlin',
      '2026-03-27T12:00:00Z',
      ['2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z'],
    ],
    [
      'Europe/Berlin',
      '2026-10-23T12:00:00Z',
      ['2026-10-24T06:00:00.000Z', '2026-10-25T07:00:00.000Z', '2026-10-26T07:00:00.000Z'],
    ],
    // New York: EST -> EDT on 8 March 2026, EDT -> EST on 1 November 2026.
    [
      'America/New_York',
      '2026-03-06T18:00:00Z',
      ['2026-03-07T13:00:00.000Z', '2026-03-08T12:00:00.000Z', '2026-03-09T12:00:00.000Z'],
    ],
    [
      'America/New_York',
      '2026-10-30T18:00:00Z',
      ['2026-10-31T12:00:00.000Z', '2026-11-01T13:00:00.000Z', '2026-11-02T13:00:00.000Z'],
    ],
  ];
  for (const [zone, from, expected] of dst) {
    it(`runs 08:00 ${zone} exactly once a day across the DST change after ${from.slice(0, 10)}`, () => {
      assert.deepEqual(nextRunTimes(daily(zone), t(from), 0, 3).map(iso), expected);
    });
  }

  it('runs 02:30 once on the night Berlin skips 02:00-03:00, and once when it repeats it', () => {
    const at0230: Schedule = { kind: 'cron', pattern: '30 2 * * *', timezone: 'Europe/Berlin' };
    const spring = nextRunTimes(at0230, t('2026-03-28T12:00:00Z'), 0, 2).map(iso);
    assert.equal(new Set(spring.map((s) => s.slice(0, 10))).size, 2, `one run per day: ${spring}`);
    const autumn = nextRunTimes(at0230, t('2026-10-24T12:00:00Z'), 0, 2).map(iso);
    assert.equal(new Set(autumn.map((s) => s.slice(0, 10))).size, 2, `one run per day: ${autumn}`);
  });

  it('takes a 6-field pattern with seconds', () => {
    const s: Schedule = { kind: 'cron', pattern: '*/15 * * * * *', timezone: 'UTC' };
    assert.deepEqual(nextRunTimes(s, t('2026-01-01T00:00:01Z'), 0, 2).map(iso), [
      '2026-01-01T00:00:15.000Z',
      '2026-01-01T00:00:30.000Z',
    ]);
  });

  it('keeps every-runs on a fixed grid from the anchor, skipping missed slots', () => {
    const every: Schedule = { kind: 'every', intervalMs: 10_000 };
    assert.equal(nextRunTime(every, 0, 0), 10_000);
    assert.equal(nextRunTime(every, 10_000, 0), 20_000);
    assert.equal(nextRunTime(every, 34_567, 0), 40_000);
    assert.equal(nextRunTime(every, 5, 1_000), 1_000);
  });
});
