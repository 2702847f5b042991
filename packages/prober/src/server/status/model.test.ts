import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../domain/result.js';
import { emptyRollup } from '../../domain/rollup.js';
import { dayClass, dayText } from './bar.js';
import {
  buildStatusModel,
  dailyCounts,
  firstDay,
  formatPercent,
  formatSince,
  type OverallState,
  overallState,
  type PublicState,
  publicState,
} from './model.js';
import { renderStatusPage } from './page.js';
import { COLOURS } from './styles.js';

const NOW = Date.parse('2026-06-30T12:00:00.000Z');
const DAY = 86_400_000;
const run = (ok: boolean, extra: Partial<CheckResult> = {}): CheckResult => ({
  time: new Date(NOW).toISOString(),
  check: 'api',
  url: 'http://api/',
  status: ok ? 200 : 503,
  ok,
  durationMs: 1,
  phases: { dns: 0, connect: 0, tls: 0, ttfb: 1, transfer: 0, total: 1 },
  ...extra,
});

describe('status page model', () => {
  it('a check is in maintenance when its newest run was, passed or failed', () => {
    const cases: [CheckResult | undefined, PublicState][] = [
      [undefined, 'unknown'],
      [run(true), 'up'],
      [run(true, { degraded: true }), 'degraded'],
      [run(false), 'down'],
      [run(false, { maintenance: true }), 'maintenance'],
      [run(true, { maintenance: true }), 'maintenance'],
    ];
    for (const [last, state] of cases) assert.equal(publicState(last), state, JSON.stringify(last));
  });

  it('the banner: major when more than half of the known checks are down, partial when some are', () => {
    const cases: [PublicState[], OverallState][] = [
      [[], 'unknown'],
      [['unknown', 'unknown'], 'unknown'],
      [['up', 'up', 'unknown'], 'operational'],
      [['up', 'degraded'], 'degraded'],
      [['up', 'maintenance'], 'maintenance'],
      [['degraded', 'maintenance'], 'degraded'],
      [['up', 'down'], 'partial'],
      [['up', 'up', 'down', 'degraded'], 'partial'],
      [['down'], 'major'],
      [['down', 'down', 'up'], 'major'],
      [['down', 'unknown', 'unknown'], 'major'],
    ];
    for (const [states, overall] of cases) assert.equal(overallState(states), overall, states.join(','));
  });

  it('90 days ending today (UTC), oldest first, rows summed by day and missing days empty', () => {
    assert.equal(new Date(firstDay(NOW)).toISOString(), '2026-04-02T00:00:00.000Z');
    const rollup = (count: number, failures: number) => ({ ...emptyRollup(), count, failures });
    const days = dailyCounts(
      [
        { check: 'api', bucket: NOW - 12 * 3_600_000, rollup: rollup(10, 1) },
        { check: 'api', bucket: firstDay(NOW), rollup: rollup(5, 0) },
        { check: 'api', bucket: firstDay(NOW) - DAY, rollup: rollup(99, 99) }, // before the window
      ],
      NOW,
    );
    assert.equal(days.length, 90);
    assert.deepEqual(days[0], { start: firstDay(NOW), count: 5, failures: 0 });
    assert.deepEqual(days[89], { start: Date.parse('2026-06-30T00:00:00Z'), count: 10, failures: 1 });
    assert.equal(
      days.slice(1, 89).every((d) => d.count === 0),
      true,
    );
  });

  it('a day slot: up, degraded up to 1% failed, down past it; its text', () => {
    const day = (count: number, failures: number) => ({ start: Date.parse('2026-06-01T00:00:00Z'), count, failures });
    assert.deepEqual([day(0, 0), day(24, 0), day(1440, 14), day(1440, 15), day(1, 1)].map(dayClass), [
      'unknown',
      'up',
      'degraded',
      'down',
      'down',
    ]);
    assert.equal(dayText(day(0, 0)), '2026-06-01: no data');
    assert.equal(dayText(day(1440, 15)), '2026-06-01: 98.95% uptime, 1,440 runs');
    assert.equal(dayText(day(1, 0)), '2026-06-01: 100% uptime, 1 run');
  });

  it('percentages are cut, never rounded up to 100%; durations read at a glance', () => {
    assert.deepEqual([1, 0.99996, 0.9995, 0.5, 0, 2 / 3].map(formatPercent), [
      '100%',
      '99.99%',
      '99.95%',
      '50.00%',
      '0.00%',
      '66.66%',
    ]);
    assert.deepEqual(
      [0, 59, 60, 125, 48 * 60, 10 * 24 * 60].map((m) => formatSince(NOW - m * 60_000, NOW)),
      ['0 min', '59 min', '1 h 0 min', '2 h 5 min', '2 days', '10 days'],
    );
  });

  it('incidents of unlisted checks are left out; uptime sums the days shown', () => {
    const model = buildStatusModel({
      page: { title: 'T', description: null, groups: [{ name: 'G', checks: [{ check: 'api', label: 'API' }] }] },
      latest: new Map([['api', run(false)]]),
      firing: [
        {
          check: 'hidden',
          incident: { id: 'h', check: 'hidden', startedAt: 1, endedAt: null, error: null, failures: 3 },
        },
        { check: 'api', incident: { id: 'a', check: 'api', startedAt: 2, endedAt: null, error: null, failures: 3 } },
      ],
      days: new Map([['api', [{ start: 0, count: 3, failures: 1 }]]]),
      now: NOW,
    });
    assert.deepEqual(model.incidents, [{ label: 'API', since: 2, maintenance: false }]);
    assert.equal(model.groups[0]?.rows[0]?.uptime, 2 / 3);
    assert.equal(model.overall, 'major');
    assert.equal(model.lastResultAt, NOW);
  });
});

describe('status page rendering', () => {
  it('escapes every configured text, in elements and in attributes', () => {
    const hostile = '<script>x</script>" onmouseover="alert(1)';
    const html = renderStatusPage(
      buildStatusModel({
        page: {
          title: hostile,
          description: hostile,
          groups: [{ name: hostile, checks: [{ check: 'api', label: hostile }] }],
        },
        latest: new Map(),
        firing: [
          { check: 'api', incident: { id: 'a', check: 'api', startedAt: 0, endedAt: null, error: null, failures: 3 } },
        ],
        days: new Map(),
        now: NOW,
      }),
    );
    assert.doesNotMatch(html, /<script/);
    assert.doesNotMatch(html, /onmouseover="/);
    assert.equal(html.split('&lt;script>x&lt;/script>&quot; onmouseover=&quot;alert(1)').length - 1, 7);
  });
});

/** WCAG 2.1 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

describe('status page colours', () => {
  it('every text colour has a contrast of at least 4.5:1 on the white page, and white text on each banner', () => {
    assert.ok(Math.abs(contrast('#000000', '#ffffff') - 21) < 1e-9, 'the formula gives 21:1 for black on white');
    for (const [name, colour] of Object.entries(COLOURS)) {
      if (name === 'background') continue;
      const ratio = contrast(colour, COLOURS.background);
      assert.ok(ratio >= 4.5, `${name} ${colour}: ${ratio.toFixed(2)}:1`);
    }
  });
});
