// store.summaries(): every check's rollups of a window merged per check, read a
// slice of checks at a time. The oracle is store.rollups() merged in memory.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CheckResult } from '../domain/result.js';
import { emptyRollup, mergeRollups, type Rollup } from '../domain/rollup.js';
import { describeEachStore } from '../testing/store-backends.js';
import { SUMMARY_SLICE_CHECKS } from './summaries.js';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHECKS = SUMMARY_SLICE_CHECKS * 2 + 17;

function result(check: number, at: number, ok: boolean, durationMs: number): CheckResult {
  return {
    time: new Date(at).toISOString(),
    check: `c${check}`,
    url: `http://c${check}:3000/`,
    status: ok ? 200 : 503,
    ok,
    durationMs,
    phases: { dns: 0, connect: 0, tls: 0, ttfb: durationMs, transfer: 0, total: durationMs },
    ...(ok ? {} : { error: { code: 'condition', message: 'status' } }),
  };
}

describeEachStore('Store summaries', (t) => {
  it('merges each check over the window, across slices of checks, as the rollup rows merged one by one', {
    skip: t.skip,
  }, async () => {
    const results: CheckResult[] = [];
    for (let c = 0; c < CHECKS; c++) {
      // Three hours of runs; check c fails at the run it is numbered for, if any.
      for (let h = 0; h < 3; h++)
        results.push(result(c, T0 + h * HOUR + c * 10, (c + h) % 7 !== 0, 1 + ((c * 7 + h * 13) % 50)));
    }
    await t.store.write(results);
    await t.store.compact(T0 + 4 * HOUR);
    // The window holds the last two hours of the three.
    const since = T0 + HOUR;
    const until = T0 + 3 * HOUR;
    const expected = new Map<string, Rollup>();
    for (const row of await t.store.rollups(null, 'hour', since, until))
      expected.set(row.check, mergeRollups(expected.get(row.check) ?? emptyRollup(), row.rollup));

    const withHistograms = await t.store.summaries('hour', since, until, { histograms: true });
    assert.equal(withHistograms.size, CHECKS);
    for (const [check, rollup] of expected) assert.deepEqual(withHistograms.get(check), rollup, check);

    const counts = await t.store.summaries('hour', since, until);
    assert.equal(counts.size, CHECKS);
    for (const [check, rollup] of expected) {
      const got = counts.get(check);
      assert.deepEqual(got, { ...rollup, histogram: [] }, check);
    }
  });

  it('leaves out checks with no rollup in the window, and answers an empty map for an empty store', {
    skip: t.skip,
  }, async () => {
    // The tests of a backend share one store: each uses a time of its own.
    const t1 = T0 + 10 * DAY;
    assert.equal((await t.store.summaries('day', 0, T0 - DAY)).size, 0);
    await t.store.write([result(1, t1, true, 5), result(2, t1 + 2 * HOUR, false, 9)]);
    await t.store.compact(t1 + 3 * HOUR);
    const got = await t.store.summaries('hour', t1 + HOUR, t1 + 3 * HOUR, { histograms: true });
    assert.deepEqual([...got.keys()], ['c2']);
    assert.equal(got.get('c2')?.failures, 1);
    assert.equal(
      got.get('c2')?.histogram.reduce((a, b) => a + b, 0),
      1,
    );
  });

  it('lets the event loop turn between slices of checks', { skip: t.skip }, async () => {
    const results: CheckResult[] = [];
    const t2 = T0 + 20 * DAY;
    for (let c = 0; c < CHECKS; c++) results.push(result(c, t2 + c, true, 3));
    await t.store.write(results);
    await t.store.compact(t2 + HOUR);
    let turns = 0;
    let turning = true;
    const spin = () => {
      turns++;
      if (turning) setImmediate(spin);
    };
    setImmediate(spin);
    const got = await t.store.summaries('minute', t2, t2 + HOUR, { histograms: true });
    turning = false;
    assert.equal(got.size, CHECKS);
    // Three slices: the loop turned at least between each two of them.
    assert.ok(turns >= 2, `the loop turned ${turns} time(s) while ${CHECKS} checks were read`);
  });
});
