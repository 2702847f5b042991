import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from './duration.js';
import { evaluate } from './evaluate.js';
import { parseStatusRange, statusMatches } from './status.js';

describe('parseDuration', () => {
  const cases: [string, number | undefined][] = [
    ['500ms', 500],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1d', 86_400_000],
    [' 10s ', 10_000],
    ['-5s', undefined],
    ['5', undefined],
    ['s', undefined],
    ['5 s', undefined],
    ['5sec', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) {
    it(`"${text}" -> ${expected}`, () => assert.equal(parseDuration(text), expected));
  }
  it('formats back', () => {
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(1_500), '1s500ms');
    assert.equal(formatDuration(0), '0s');
  });
});

describe('status ranges', () => {
  const cases: [number | string, string | { min: number; max: number }][] = [
    [200, { min: 200, max: 200 }],
    ['204', { min: 204, max: 204 }],
    ['200-399', { min: 200, max: 399 }],
    ['200 - 299', { min: 200, max: 299 }],
    ['399-200', 'range "399-200" starts above its end'],
    ['2000', '"2000" is not a status code (100-599) or a range like "200-299"'],
    [99, '"99" is not a status code (100-599) or a range like "200-299"'],
    ['ok', '"ok" is not a status code (100-599) or a range like "200-299"'],
  ];
  for (const [input, expected] of cases) {
    it(`parses ${JSON.stringify(input)}`, () => assert.deepEqual(parseStatusRange(input), expected));
  }
  it('matches inclusively', () => {
    const ranges = [
      { min: 200, max: 299 },
      { min: 304, max: 304 },
    ];
    assert.deepEqual(
      [199, 200, 299, 300, 304, 503].map((s) => statusMatches(ranges, s)),
      [false, true, true, false, true, false],
    );
  });
});

describe('evaluate', () => {
  const check = { name: 'api', url: 'http://api:3000/healthcheck', expectStatus: [{ min: 200, max: 399 }] };
  const at = new Date('2026-01-02T08:00:00.000Z');

  it('passes an expected status', () => {
    assert.deepEqual(evaluate(check, at, { status: 200, durationMs: 3 }), {
      time: '2026-01-02T08:00:00.000Z',
      check: 'api',
      url: 'http://api:3000/healthcheck',
      status: 200,
      durationMs: 3,
      ok: true,
    });
  });

  it('fails an unexpected status with http_status', () => {
    const result = evaluate(check, at, { status: 503, durationMs: 3 });
    assert.equal(result.ok, false);
    assert.deepEqual(result.error, { code: 'http_status', message: 'status 503 is not in 200-399' });
  });

  it('keeps a transport error as it is', () => {
    const result = evaluate(check, at, { status: null, durationMs: 1, error: { code: 'refused', message: 'x' } });
    assert.equal(result.ok, false);
    assert.equal(result.status, null);
    assert.equal(result.error?.code, 'refused');
  });
});
