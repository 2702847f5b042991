import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MaintenanceWindow } from '../config/resolved.js';
import { createMaintenanceCalendar } from './maintenance.js';

const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

const nightly: MaintenanceWindow = {
  name: 'nightly-db',
  schedule: { pattern: '0 2 * * *', timezone: 'Europe/Berlin' },
  durationMs: 30 * MIN,
  checks: ['db'],
};
const everything: MaintenanceWindow = {
  name: 'release',
  schedule: { pattern: '0 12 * * 3', timezone: 'UTC' },
  durationMs: 60 * MIN,
  checks: null,
};

describe('maintenance calendar', () => {
  const calendar = createMaintenanceCalendar([nightly, everything]);
  const cases: [string, string, string, string | undefined][] = [
    ['before the window', 'db', '2026-11-27T00:59:59.999Z', undefined],
    ['at its start (02:00 Berlin = 01:00 UTC in winter)', 'db', '2026-11-27T01:00:00.000Z', 'nightly-db'],
    ['inside', 'db', '2026-11-27T01:29:59.999Z', 'nightly-db'],
    ['at its end (exclusive)', 'db', '2026-11-27T01:30:00.000Z', undefined],
    ['a check it does not cover', 'api', '2026-11-27T01:10:00.000Z', undefined],
    ['summer time: 02:00 Berlin = 00:00 UTC', 'db', '2026-07-01T00:10:00.000Z', 'nightly-db'],
    ['a window for every check', 'api', '2026-11-25T12:59:00.000Z', 'release'],
    ['the day after', 'api', '2026-11-26T12:30:00.000Z', undefined],
  ];
  for (const [name, check, time, expected] of cases) {
    it(name, () => assert.equal(calendar.active(check, at(time))?.name, expected));
  }

  it('tells when the covering window ends, the latest of overlapping ones', () => {
    const overlapping = createMaintenanceCalendar([
      { ...everything, name: 'a', schedule: { pattern: '0 12 * * *', timezone: 'UTC' }, durationMs: 30 * MIN },
      { ...everything, name: 'b', schedule: { pattern: '15 12 * * *', timezone: 'UTC' }, durationMs: 30 * MIN },
    ]);
    assert.equal(overlapping.endsAt('api', at('2026-11-27T12:20:00.000Z')), at('2026-11-27T12:45:00.000Z'));
    assert.equal(overlapping.endsAt('api', at('2026-11-27T12:50:00.000Z')), undefined);
  });

  it('a DST jump does not open a window that never starts (02:30 Berlin on the spring-forward day)', () => {
    const calendar2 = createMaintenanceCalendar([
      { ...nightly, schedule: { pattern: '30 2 * * *', timezone: 'Europe/Berlin' }, durationMs: 10 * MIN },
    ]);
    // 2026-03-29: clocks go 02:00 -> 03:00 in Berlin; croner runs a skipped time at the next valid instant or not at
    // all, but never leaves the window open for longer than its duration.
    const start = at('2026-03-29T00:00:00.000Z');
    let openMinutes = 0;
    for (let t = start; t < start + 4 * 60 * MIN; t += MIN) if (calendar2.active('db', t)) openMinutes += 1;
    assert.ok(openMinutes <= 10, `open ${openMinutes} minutes`);
  });
});
