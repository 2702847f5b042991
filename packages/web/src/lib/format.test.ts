import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expiryText, formatMs, formatSpan, formatUptime, outcomeText, relativeTime } from './format.ts';

const NOW = Date.parse('2026-07-01T12:00:00Z');

describe('relativeTime', () => {
  const cases: [number, string][] = [
    [0, 'just now'],
    [4_999, 'just now'],
    [42_000, '42 s ago'],
    [5 * 60_000 + 59_000, '5 min ago'],
    [3 * 3_600_000, '3 h ago'],
    [2 * 86_400_000 + 1, '2 d ago'],
    [-5 * 60_000, 'in 5 min'],
  ];
  for (const [ago, text] of cases)
    it(`${ago} ms ago -> ${text}`, () => assert.equal(relativeTime(NOW - ago, NOW), text));
  it('an unreadable time is a dash', () => assert.equal(relativeTime(Number.NaN, NOW), '—'));
});

describe('formatMs', () => {
  const cases: [number | null | undefined, string][] = [
    [null, '—'],
    [undefined, '—'],
    [Number.NaN, '—'],
    [0.25, '0.25 ms'],
    [0, '0 ms'],
    [12.4, '12 ms'],
    [999.4, '999 ms'],
    [1250, '1.25 s'],
    [12_345, '12.3 s'],
    [125_000, '2 min 5 s'],
    [120_000, '2 min'],
  ];
  for (const [ms, text] of cases) it(`${ms} -> ${text}`, () => assert.equal(formatMs(ms), text));
});

describe('formatUptime', () => {
  const cases: [number | null, string][] = [
    [null, '—'],
    [1, '100%'],
    [0, '0%'],
    [0.5, '50%'],
    [0.973, '97.3%'],
    [0.9996, '99.96%'],
    [0.99996, '99.996%'],
    [0.9999999, '99.999%'],
  ];
  for (const [ratio, text] of cases) it(`${ratio} -> ${text}`, () => assert.equal(formatUptime(ratio), text));
});

describe('outcomeText', () => {
  it('shows the status, the error code, both, or what is known', () => {
    assert.equal(outcomeText({ status: 200, ok: true }), '200');
    assert.equal(
      outcomeText({ status: 503, ok: false, error: { code: 'http_status', message: 'm' } }),
      '503 · http_status',
    );
    assert.equal(outcomeText({ status: null, ok: false, error: { code: 'refused', message: 'm' } }), 'refused');
    assert.equal(outcomeText({ status: null, ok: true }), 'ok');
    assert.equal(outcomeText(null), 'no result yet');
  });
});

describe('expiryText', () => {
  it('says how long a certificate has left, or how long ago it expired', () => {
    assert.equal(expiryText(new Date(NOW + 23 * 86_400_000 + 5).toISOString(), NOW), 'expires in 23 days');
    assert.equal(expiryText(new Date(NOW + 86_400_000).toISOString(), NOW), 'expires in 1 day');
    assert.equal(expiryText(new Date(NOW + 3 * 3_600_000).toISOString(), NOW), 'expires in 3 h');
    assert.equal(expiryText(new Date(NOW - 2 * 86_400_000).toISOString(), NOW), 'expired 2 days ago');
    assert.equal(expiryText('not a date', NOW), 'not a date');
  });
});

describe('formatSpan', () => {
  const cases: [number, string][] = [
    [-1, '—'],
    [Number.NaN, '—'],
    [44_600, '45 s'],
    [12 * 60_000 + 59_000, '12 min'],
    [2 * 3_600_000, '2 h'],
    [2 * 3_600_000 + 5 * 60_000, '2 h 5 min'],
    [3 * 86_400_000 + 4 * 3_600_000 + 1, '3 d 4 h'],
  ];
  for (const [ms, text] of cases) it(`${ms} -> ${text}`, () => assert.equal(formatSpan(ms), text));
});
