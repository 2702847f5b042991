import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCondition } from './conditions.js';
import { formatDuration, parseDuration } from './duration.js';
import { evaluate } from './evaluate.js';
import type { Observation } from './result.js';
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
  const check = {
    name: 'api',
    url: 'http://api:3000/healthcheck',
    kind: 'http' as const,
    expectStatus: [{ min: 200, max: 399 }],
    conditions: [],
  };
  const at = new Date('2026-01-02T08:00:00.000Z');
  const phases = { dns: 1, connect: 1, tls: 0, ttfb: 1, transfer: 0, total: 3 };
  const seen = (extra: Partial<Observation> = {}): Observation => ({ status: 200, durationMs: 3, phases, ...extra });

  it('passes an expected status', () => {
    assert.deepEqual(evaluate(check, at, seen()), {
      time: '2026-01-02T08:00:00.000Z',
      check: 'api',
      url: 'http://api:3000/healthcheck',
      status: 200,
      durationMs: 3,
      ok: true,
      phases,
    });
  });

  it('fails an unexpected status with http_status', () => {
    const result = evaluate(check, at, seen({ status: 503 }));
    assert.equal(result.ok, false);
    assert.deepEqual(result.error, { code: 'http_status', message: 'status 503 is not in 200-399' });
  });

  it('keeps a transport error as it is', () => {
    const result = evaluate(check, at, seen({ status: null, error: { code: 'refused', message: 'x' } }));
    assert.equal(result.ok, false);
    assert.equal(result.status, null);
    assert.equal(result.error?.code, 'refused');
  });

  const withConditions = (texts: string[], extra: object = {}) => ({
    ...check,
    expectStatus: undefined,
    conditions: texts.map(parseCondition),
    ...extra,
  });

  it('reports every condition with resolved values; all must hold', () => {
    const result = evaluate(
      withConditions(['[STATUS] == 200', '[BODY].status == pass', '[RESPONSE_TIME] < 1']),
      at,
      seen({ body: '{"status":"pass"}', durationMs: 3 }),
    );
    assert.deepEqual(result.conditions, [
      { condition: '[STATUS] (200) == 200', ok: true },
      { condition: '[BODY].status (pass) == pass', ok: true },
      { condition: '[RESPONSE_TIME] (3) < 1', ok: false },
    ]);
    assert.deepEqual(result.error, { code: 'condition', message: '1 condition(s) failed: [RESPONSE_TIME] (3) < 1' });
  });

  it('conditions replace the default status range', () => {
    const result = evaluate(withConditions(['[STATUS] == 503']), at, seen({ status: 503 }));
    assert.equal(result.ok, true);
  });

  it('a [BODY] path on a body that is not JSON is invalid_json', () => {
    const result = evaluate(withConditions(['[BODY].status == pass']), at, seen({ body: '<html>' }));
    assert.equal(result.error?.code, 'invalid_json');
  });

  it('a body larger than the cap is body_too_large when the check reads it, and ignored when not', () => {
    assert.equal(
      evaluate(withConditions(['[BODY].a == 1']), at, seen({ body: '{"a"', bodyTooLarge: true })).error?.code,
      'body_too_large',
    );
    assert.equal(evaluate(check, at, seen({ bodyTooLarge: true })).ok, true);
  });

  it('expect: health passes pass, marks warn degraded, fails fail and non-JSON', () => {
    const health = { ...check, expect: 'health' as const };
    assert.deepEqual(
      [
        evaluate(health, at, seen({ body: '{"status":"pass"}' })).ok,
        evaluate(health, at, seen({ body: '{"status":"pass"}' })).degraded,
      ],
      [true, undefined],
    );
    const warn = evaluate(health, at, seen({ body: '{"status":"warn"}' }));
    assert.deepEqual([warn.ok, warn.degraded], [true, true]);
    assert.equal(evaluate(health, at, seen({ body: '{"status":"fail"}' })).error?.code, 'condition');
    assert.equal(evaluate(health, at, seen({ body: 'ok' })).error?.code, 'invalid_json');
  });

  it('a dns check without conditions needs NOERROR and an answer', () => {
    const dns = { name: 'd', url: 'dns:///api', kind: 'dns' as const, conditions: [] };
    const none = { status: null, durationMs: 1, phases };
    assert.equal(evaluate(dns, at, { ...none, dnsRcode: 'NOERROR', body: '["10.0.0.1"]' }).ok, true);
    assert.equal(evaluate(dns, at, { ...none, dnsRcode: 'NXDOMAIN', body: '[]' }).error?.code, 'dns_nxdomain');
    assert.equal(evaluate(dns, at, { ...none, dnsRcode: 'NOERROR', body: '[]' }).error?.code, 'dns_error');
    assert.equal(evaluate(dns, at, { ...none, dnsRcode: 'SERVFAIL', body: '[]' }).error?.code, 'dns_error');
  });

  it('gives the peer certificate expiry as ISO 8601, on passing and failing runs, and only when one was seen', () => {
    const expiresAt = Date.parse('2026-03-01T12:00:00.000Z');
    const seenCert = { certificateExpiresAtMs: expiresAt, certificateExpirationMs: expiresAt - at.getTime() };
    assert.equal(evaluate(check, at, seen(seenCert)).certificateExpiresAt, '2026-03-01T12:00:00.000Z');
    assert.equal(
      evaluate(check, at, seen({ ...seenCert, status: 503 })).certificateExpiresAt,
      '2026-03-01T12:00:00.000Z',
    );
    assert.ok(!('certificateExpiresAt' in evaluate(check, at, seen())));
  });
});
