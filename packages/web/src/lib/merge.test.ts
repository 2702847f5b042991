import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeUpdates, parseResultsEvent } from './merge.ts';
import type { Check, Update } from './types.ts';

const row = (name: string, time: string | null, extra: Partial<Check> = {}): Check => ({
  name,
  kind: 'http',
  url: `http://${name}/`,
  schedule: 'every 30s',
  state: 'up',
  lastResult: time
    ? {
        time,
        check: name,
        status: 200,
        ok: true,
        durationMs: 12,
        phases: { dns: 1, connect: 1, tls: 0, ttfb: 9, transfer: 1 },
      }
    : null,
  lastFailure: null,
  downSince: null,
  ...extra,
});

const update = (check: string, time: string, extra: Partial<Update> = {}): Update => ({
  check,
  state: 'down',
  time,
  ok: false,
  status: 503,
  durationMs: 40,
  error: { code: 'http_status', message: 'got 503' },
  ...extra,
});

describe('mergeUpdates', () => {
  const rows = new Map([
    ['a', row('a', '2026-07-01T12:00:00.000Z')],
    ['b', row('b', null)],
  ]);

  it('applies a newer update: state, last result, failure and downSince', () => {
    const next = mergeUpdates(rows, [update('a', '2026-07-01T12:00:30.000Z')]);
    const a = next.get('a') as Check;
    assert.equal(a.state, 'down');
    assert.equal(a.lastResult?.status, 503);
    assert.equal(a.lastResult?.error?.code, 'http_status');
    assert.equal(a.lastFailure?.time, '2026-07-01T12:00:30.000Z');
    assert.equal(a.downSince, '2026-07-01T12:00:30.000Z');
    // The rows given are not changed.
    assert.equal(rows.get('a')?.state, 'up');
  });

  it('ignores an update older than the row and one for an unknown check, returning the same map', () => {
    const same = mergeUpdates(rows, [update('a', '2026-07-01T11:59:59.000Z'), update('zzz', '2026-07-01T13:00:00Z')]);
    assert.equal(same, rows);
  });

  it('applies an update with the same time, and one for a check that had no result', () => {
    const next = mergeUpdates(rows, [update('a', '2026-07-01T12:00:00.000Z'), update('b', '2026-07-01T10:00:00Z')]);
    assert.equal(next.get('a')?.state, 'down');
    assert.equal(next.get('b')?.state, 'down');
  });

  it('keeps the start of a failing streak and ends it on a pass', () => {
    let next = mergeUpdates(rows, [
      update('a', '2026-07-01T12:01:00.000Z'),
      update('a', '2026-07-01T12:02:00.000Z'),
      // Out of order within a batch: older than what the row now shows.
      update('a', '2026-07-01T12:00:45.000Z', { ok: true, state: 'up', status: 200 }),
    ]);
    assert.equal(next.get('a')?.downSince, '2026-07-01T12:01:00.000Z');
    assert.equal(next.get('a')?.state, 'down');
    next = mergeUpdates(next, [
      update('a', '2026-07-01T12:03:00.000Z', {
        ok: true,
        state: 'degraded',
        degraded: true,
        status: 200,
        error: undefined,
      }),
    ]);
    const a = next.get('a') as Check;
    assert.equal(a.state, 'degraded');
    assert.equal(a.downSince, null);
    assert.equal(a.lastResult?.degraded, true);
    assert.equal(a.lastResult?.error, undefined);
    assert.equal(a.lastFailure?.time, '2026-07-01T12:02:00.000Z');
  });

  it('an update with an unreadable time is ignored', () => {
    assert.equal(mergeUpdates(rows, [update('a', 'yesterday')]), rows);
  });
});

describe('parseResultsEvent', () => {
  it('reads the results and drops malformed entries', () => {
    const good = update('a', '2026-07-01T12:00:00Z');
    assert.deepEqual(parseResultsEvent(JSON.stringify({ results: [good, { check: 1 }, null, 'x'] })), [good]);
  });

  it('returns nothing for data that is not the expected shape', () => {
    for (const data of ['', 'nope', 'null', '{}', '{"results":5}', '[]']) assert.deepEqual(parseResultsEvent(data), []);
  });
});
