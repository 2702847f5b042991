// One contract, every backend: the same tests run against SQLite (a temp
// file) and PostgreSQL (a schema of their own on 127.0.0.1:5432).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CheckResult } from '../domain/result.js';
import { quantile } from '../domain/rollup.js';
import { describeEachStore } from '../testing/store-backends.js';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const phases = { dns: 0.5, connect: 0.25, tls: 0, ttfb: 2.5, transfer: 0.75, total: 4 };

function result(check: string, at: number, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    time: new Date(at).toISOString(),
    check,
    url: `http://${check}:3000/healthcheck`,
    status: 200,
    ok: true,
    durationMs: 4,
    phases,
    ...extra,
  };
}

const failing = (check: string, at: number): CheckResult =>
  result(check, at, {
    status: 503,
    ok: false,
    durationMs: 12.34,
    error: { code: 'condition', message: '1 condition(s) failed: [STATUS] (503) == 200' },
    conditions: [{ condition: '[STATUS] (503) == 200', ok: false }],
    ip: '10.0.0.7',
    scheduledAt: new Date(at - 15).toISOString(),
    attempts: 2,
    phases: { ...phases, total: 12.34 },
  });

describeEachStore('Store contract', (t) => {
  it('migrates once, and again as a no-op', { skip: t.skip }, async () => {
    assert.equal(await t.store.migrate(), 6);
  });

  it('round-trips a failing result with its details, and a passing one', { skip: t.skip }, async () => {
    const bad = failing('api', T0);
    const good = result('api', T0 + 1_000, { degraded: true, scheduledAt: new Date(T0 + 995).toISOString() });
    await t.store.write([bad, good]);
    const [newest, older] = await t.store.results('api', { limit: 10 });
    assert.deepEqual(newest, good);
    assert.deepEqual(older, bad);
  });

  it('round-trips the maintenance flag of a passing and a failing result, and leaves it out of the others', {
    skip: t.skip,
  }, async () => {
    const passing = result('maint', T0, { maintenance: true });
    const failed = { ...failing('maint', T0 + 1_000), maintenance: true };
    const plain = result('maint', T0 + 2_000);
    const plainFailure = failing('maint', T0 + 3_000);
    await t.store.write([passing, failed, plain, plainFailure]);
    const [d, c, b, a] = await t.store.results('maint', { limit: 10 });
    assert.deepEqual(a, passing);
    assert.equal(a?.maintenance, true);
    assert.deepEqual(b, failed);
    assert.equal(b?.maintenance, true);
    assert.deepEqual(c, plain);
    assert.ok(!('maintenance' in (c as object)), 'no maintenance key on a result without it');
    assert.deepEqual(d, plainFailure);
    assert.ok(!('maintenance' in (d as object)));
  });

  it('pages results newest first with since, until and limit', { skip: t.skip }, async () => {
    await t.store.write(Array.from({ length: 20 }, (_, i) => result('pager', T0 + i * 60_000)));
    const first = await t.store.results('pager', { limit: 5 });
    assert.deepEqual(
      first.map((r) => r.time),
      [19, 18, 17, 16, 15].map((i) => new Date(T0 + i * 60_000).toISOString()),
    );
    const next = await t.store.results('pager', { limit: 5, until: Date.parse(first.at(-1)?.time as string) });
    assert.equal(next[0]?.time, new Date(T0 + 14 * 60_000).toISOString());
    const window = await t.store.results('pager', { since: T0 + 2 * 60_000, until: T0 + 5 * 60_000, limit: 100 });
    assert.equal(window.length, 3);
    assert.deepEqual(await t.store.results('nobody', { limit: 5 }), []);
  });

  it('ignores a result written twice', { skip: t.skip }, async () => {
    await t.store.write([result('twice', T0)]);
    await t.store.write([result('twice', T0)]);
    assert.equal((await t.store.results('twice', { limit: 10 })).length, 1);
  });

  it('serves the newest result of each check', { skip: t.skip }, async () => {
    await t.store.write([
      result('latest-a', T0),
      result('latest-a', T0 + 5_000, { status: 204 }),
      result('latest-b', T0),
    ]);
    const latest = await t.store.latest();
    assert.equal(latest.get('latest-a')?.status, 204);
    assert.equal(latest.get('latest-b')?.time, new Date(T0).toISOString());
    // Since a time: only the checks whose newest result is that recent.
    const since = await t.store.latest(T0 + 1);
    assert.equal(since.get('latest-a')?.status, 204);
    assert.equal(since.has('latest-b'), false);
    assert.equal((await t.store.latest(T0 + 5_000)).has('latest-a'), true, 'inclusive');
    assert.equal((await t.store.latest(T0 + 5_001)).has('latest-a'), false);
  });

  it('folds results into minute, hour and day rollups, adding across writes', { skip: t.skip }, async () => {
    await t.store.write([result('roll', T0, { durationMs: 10 }), failing('roll', T0 + 30_000)]);
    await t.store.write([
      result('roll', T0 + 45_000, { durationMs: 30 }),
      result('roll', T0 + 3_600_000, { durationMs: 20 }),
    ]);
    assert.deepEqual(await t.store.rollups('roll', 'minute', T0, T0 + 86_400_000), [], 'rollups wait for compaction');
    await t.store.compact(T0 + 2 * 3_600_000);
    const minutes = await t.store.rollups('roll', 'minute', T0, T0 + 86_400_000);
    assert.deepEqual(
      minutes.map((m) => [m.bucket - T0, m.rollup.count, m.rollup.failures]),
      [
        [0, 3, 1],
        [3_600_000, 1, 0],
      ],
    );
    const [day] = await t.store.rollups('roll', 'day', T0 - 8 * 3_600_000, T0 + 86_400_000);
    assert.deepEqual([day?.rollup.count, day?.rollup.failures, day?.rollup.maxMs], [4, 1, 30]);
    assert.ok((quantile(day?.rollup as never, 0.5) as number) >= 10);
    const hours = await t.store.rollups('roll', 'hour', T0, T0 + 7_200_000);
    assert.deepEqual(
      hours.map((h) => h.rollup.count),
      [3, 1],
    );
    const all = await t.store.rollups(null, 'hour', T0, T0 + 3_600_000);
    assert.ok(all.some((r) => r.check === 'roll') && all.some((r) => r.check === 'api'));
  });

  it('compacts each finished minute once, and folds late results straight into hours and days', {
    skip: t.skip,
  }, async () => {
    const base = T0 + 10 * 86_400_000;
    await t.store.write([result('compact', base), result('compact', base + 60_000), result('compact', base + 120_000)]);
    await t.store.compact(base + 150_000); // minutes base and base+1m are finished; base+2m is not
    const hour = async () => (await t.store.rollups('compact', 'hour', base, base + 3_600_000))[0]?.rollup.count;
    assert.equal(await hour(), 2);
    assert.equal(await t.store.compact(base + 150_000), 0, 'nothing twice');
    assert.equal(await hour(), 2);
    await t.store.compact(base + 180_000);
    assert.equal(await hour(), 3);
    await t.store.write([failing('compact', base + 30_000)]); // late: its minute was compacted already
    assert.equal(await hour(), 4);
    const totals = await t.store.totals('hour', base, base + 3_600_000);
    assert.deepEqual(totals.get('compact'), { count: 4, failures: 1, degraded: 0 });
  });

  it('knows when the last stored run was scheduled', { skip: t.skip }, async () => {
    await t.store.write([
      result('sched', T0, { scheduledAt: new Date(T0 - 7).toISOString() }),
      result('sched', T0 + 1_000),
    ]);
    assert.equal(await t.store.lastScheduled('sched'), T0 - 7);
    assert.equal(await t.store.lastScheduled('nobody'), undefined);
  });

  it('prunes each kind of row past its retention, and nothing else', { skip: t.skip }, async () => {
    await t.store.write([result('old', T0 - 10 * 86_400_000), result('old', T0)]);
    await t.store.compact(T0 + 1_000);
    const counts = await t.store.prune(T0 + 1_000, {
      rawMs: 7 * 86_400_000,
      minuteMs: 48 * 3_600_000,
      hourMs: 90 * 86_400_000,
      dayMs: null,
    });
    assert.ok(counts.raw >= 1 && counts.minute >= 1);
    assert.equal(counts.day, 0);
    assert.deepEqual(
      (await t.store.results('old', { limit: 10 })).map((r) => r.time),
      [new Date(T0).toISOString()],
    );
    assert.equal((await t.store.rollups('old', 'day', 0, T0 + 86_400_000)).length, 2, 'daily rollups are kept forever');
  });

  it('follows a check whose URL changed', { skip: t.skip }, async () => {
    await t.store.write([result('moved', T0)]);
    await t.store.write([{ ...result('moved', T0 + 1_000), url: 'http://moved.other:8080/readyz' }]);
    const [newest] = await t.store.results('moved', { limit: 1 });
    assert.equal(newest?.url, 'http://moved.other:8080/readyz');
  });

  it('pages the failures or the passes of a check, newest first', { skip: t.skip }, async () => {
    const minute = (i: number) => T0 + i * 60_000;
    // Fails at minutes 2, 5, 6 and 9; minute 7 passes degraded (a pass).
    await t.store.write(
      Array.from({ length: 10 }, (_, i) =>
        [2, 5, 6, 9].includes(i)
          ? failing('outcome', minute(i))
          : result('outcome', minute(i), i === 7 ? { degraded: true } : {}),
      ),
    );
    const times = (list: CheckResult[]) => list.map((r) => (Date.parse(r.time) - T0) / 60_000);
    assert.deepEqual(times(await t.store.resultsByOutcome('outcome', false, { limit: 100 })), [9, 6, 5, 2]);
    const page = await t.store.resultsByOutcome('outcome', false, { limit: 2 });
    assert.deepEqual(times(page), [9, 6]);
    assert.deepEqual(times(await t.store.resultsByOutcome('outcome', false, { limit: 2, until: minute(6) })), [5, 2]);
    assert.deepEqual(times(await t.store.resultsByOutcome('outcome', true, { limit: 100 })), [8, 7, 4, 3, 1, 0]);
    assert.deepEqual(
      times(await t.store.resultsByOutcome('outcome', true, { since: minute(3), until: minute(8), limit: 100 })),
      [7, 4, 3],
    );
    assert.deepEqual(page[0], failing('outcome', minute(9)), 'a failure keeps its details');
    assert.deepEqual(await t.store.resultsByOutcome('nobody', false, { limit: 5 }), []);
  });

  it('knows the newest failure of each check and when its current failing streak began', { skip: t.skip }, async () => {
    const at = (i: number) => T0 + 100 * 86_400_000 + i * 60_000;
    await t.store.write([
      // up now: failed once, recovered (a degraded pass counts as a pass)
      failing('fs-recovered', at(0)),
      result('fs-recovered', at(1), { degraded: true }),
      // down now: pass, fail, pass, then a streak of three failures from minute 4
      result('fs-down', at(0)),
      failing('fs-down', at(1)),
      result('fs-down', at(2)),
      failing('fs-down', at(4)),
      failing('fs-down', at(5)),
      failing('fs-down', at(6)),
      // down since its first result
      failing('fs-never-up', at(3)),
      failing('fs-never-up', at(8)),
      // never failed
      result('fs-steady', at(0)),
      result('fs-steady', at(1)),
    ]);
    const states = await t.store.failureStates(['fs-recovered', 'fs-down', 'fs-never-up', 'fs-steady', 'nobody']);
    const summary = Object.fromEntries(
      [...states].map(([name, s]) => [
        name,
        [s.lastFailure === null ? null : Date.parse(s.lastFailure.time), s.downSince],
      ]),
    );
    assert.deepEqual(summary, {
      'fs-recovered': [at(0), null],
      'fs-down': [at(6), at(4)],
      'fs-never-up': [at(8), at(3)],
      'fs-steady': [null, null],
      nobody: [null, null],
    });
    assert.deepEqual(states.get('fs-down')?.lastFailure, failing('fs-down', at(6)));
    assert.deepEqual(await t.store.failureStates([]), new Map());
  });
});
