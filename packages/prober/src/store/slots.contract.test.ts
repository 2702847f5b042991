// Run slots and epochs (issue #13, schema v6), on every backend: a (check,
// scheduledAt) is stored once whoever writes it, write() reports what became
// of each result, rollups count a slot once, and a database an older lifeline
// left migrates. The results of this file live in their own stretch of time,
// after the other contract files' (compaction moves one watermark for all).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CheckResult } from '../domain/result.js';
import { describeEachStore } from '../testing/store-backends.js';
import { createBatchWriter } from './batch.js';
import { encode, type Store, type WriteReport } from './store.js';

const T0 = Date.parse('2026-06-01T08:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 3_600_000;
const phases = { dns: 0.5, connect: 0.25, tls: 0, ttfb: 2.5, transfer: 0.75, total: 4 };

/** The run of `check` planned for `slot`, started `late` ms after it. */
function run(check: string, slot: number, late = 3, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    time: new Date(slot + late).toISOString(),
    check,
    url: `http://${check}:3000/healthcheck`,
    status: 200,
    ok: true,
    durationMs: 4,
    phases,
    scheduledAt: new Date(slot).toISOString(),
    ...extra,
  };
}

/** A result without a slot (check --once, a reported result). */
function unplanned(check: string, at: number): CheckResult {
  const { scheduledAt: _none, ...rest } = run(check, at, 0);
  return rest;
}

const times = (list: readonly CheckResult[]) => list.map((r) => Date.parse(r.time));
const hourCount = async (store: Store, check: string, hour: number) =>
  (await store.rollups(check, 'hour', hour, hour + HOUR)).map((r) => [r.rollup.count, r.rollup.failures]);

describeEachStore('Store contract, run slots', (t) => {
  it('migrates to schema v6', { skip: t.skip }, async () => {
    assert.equal(await t.store.migrate(), 6);
  });

  it('stores a run slot once, in one batch and across batches, and reports each result once', {
    skip: t.skip,
  }, async () => {
    const s = (i: number) => T0 + i * 10_000;
    assert.deepEqual(await t.store.write([run('slot', s(0), 3), run('slot', s(0), 5), run('slot', s(1))]), {
      written: 2,
      duplicates: 1,
      fenced: 0,
    });
    assert.deepEqual(await t.store.write([run('slot', s(1), 9), run('slot', s(2))]), {
      written: 1,
      duplicates: 1,
      fenced: 0,
    });
    // The same time again, without a slot: the primary key's duplicate.
    assert.deepEqual(await t.store.write([unplanned('slot', s(2) + 3)]), { written: 0, duplicates: 1, fenced: 0 });
    assert.deepEqual(await t.store.write([]), { written: 0, duplicates: 0, fenced: 0 });
    // The first write of a slot is the one kept.
    assert.deepEqual(times(await t.store.results('slot', { limit: 10 })), [s(2) + 3, s(1) + 3, s(0) + 3]);
  });

  it('stores a slot once when two writers race for it', { skip: t.skip }, async () => {
    // PostgreSQL: two pools, as two cluster members have. SQLite allows one process per file: two writes at once.
    const other = t.name === 'postgres' ? t.make() : t.store;
    try {
      if (other !== t.store) await other.migrate();
      const slots = Array.from({ length: 50 }, (_, i) => T0 + MINUTE + i * 1_000);
      const mine = slots.map((slot) => run('race', slot, 3));
      const theirs = slots.map((slot) => run('race', slot, 7)).reverse();
      const reports = await Promise.all([t.store.write(mine), other.write(theirs)]);
      assert.equal(reports[0].written + reports[1].written, 50);
      assert.equal(reports[0].duplicates + reports[1].duplicates, 50);
      assert.equal(reports[0].fenced + reports[1].fenced, 0);
      const stored = await t.store.results('race', { limit: 1_000 });
      assert.deepEqual(stored.map((r) => Date.parse(r.scheduledAt as string)).reverse(), slots);
    } finally {
      if (other !== t.store) await other.close();
    }
  });

  it("reports each of the batch writer's writes through onReport", { skip: t.skip }, async () => {
    const slot = T0 + 5 * MINUTE;
    const reports: WriteReport[] = [];
    const writer = createBatchWriter(t.store, { flushMs: 60_000, onReport: (report) => reports.push(report) });
    try {
      writer.add(run('batched', slot));
      writer.add(run('batched', slot, 9));
      writer.add(run('batched', slot + 1_000));
      await writer.flush();
      writer.add(run('batched', slot + 1_000, 20));
      await writer.flush();
    } finally {
      assert.deepEqual(await writer.close(), { lost: 0, timedOut: false });
    }
    assert.deepEqual(reports, [
      { written: 2, duplicates: 1, fenced: 0 },
      { written: 0, duplicates: 1, fenced: 0 },
    ]);
  });

  it('stores every result without a scheduledAt', { skip: t.skip }, async () => {
    const at = (i: number) => T0 + 2 * MINUTE + i * 1_000;
    assert.deepEqual(await t.store.write([unplanned('once', at(0)), unplanned('once', at(1))]), {
      written: 2,
      duplicates: 0,
      fenced: 0,
    });
    assert.deepEqual(await t.store.write([unplanned('once', at(2))]), { written: 1, duplicates: 0, fenced: 0 });
    const stored = await t.store.results('once', { limit: 10 });
    assert.deepEqual(times(stored), [at(2), at(1), at(0)]);
    assert.ok(stored.every((r) => !('scheduledAt' in r) && !('epoch' in r)));
  });

  it('round-trips the epoch of a result, and leaves it out of a result without one', { skip: t.skip }, async () => {
    // On PostgreSQL an epoch must name a member to be stored: this one joins.
    const epoch = t.store.cluster
      ? (await t.store.cluster.join({ id: 'slots-rt', host: 'test', api: null }, HOUR, 0)).epoch
      : 41;
    const withEpoch = run('epoch', T0 + 3 * MINUTE, 3, { epoch });
    const without = run('epoch', T0 + 3 * MINUTE + 1_000);
    assert.deepEqual(await t.store.write([withEpoch, without]), { written: 2, duplicates: 0, fenced: 0 });
    const [newest, older] = await t.store.results('epoch', { limit: 10 });
    assert.deepEqual(older, withEpoch);
    assert.equal(older?.epoch, epoch);
    assert.deepEqual(newest, without);
    assert.ok(!('epoch' in (newest as object)));
    assert.equal((await t.store.latest()).get('epoch')?.epoch, undefined);
    await t.store.cluster?.leave('slots-rt', epoch);
  });

  it('fences a result whose epoch names no member on PostgreSQL; SQLite, a single node, stores it', {
    skip: t.skip,
  }, async () => {
    const stray = run('stray', T0 + 4 * MINUTE, 3, { epoch: 987_654_321 });
    const report = await t.store.write([stray, run('stray', T0 + 4 * MINUTE + 1_000)]);
    if (t.name === 'postgres') {
      assert.deepEqual(report, { written: 1, duplicates: 0, fenced: 1 });
      assert.equal((await t.store.results('stray', { limit: 10 })).length, 1);
    } else {
      assert.deepEqual(report, { written: 2, duplicates: 0, fenced: 0 });
      assert.equal((await t.store.results('stray', { limit: 10 }))[1]?.epoch, 987_654_321);
    }
  });

  it('counts a slot once in rollups, and a late duplicate leaves them as they are', { skip: t.skip }, async () => {
    const base = T0 + 2 * HOUR;
    const failed = (slot: number, late: number) =>
      run('roll', slot, late, { ok: false, status: 503, error: { code: 'http_status', message: 'HTTP 503' } });
    await t.store.write([run('roll', base), failed(base + 20_000, 3), failed(base + 20_000, 8)]);
    await t.store.write([run('roll', base, 11)]);
    await t.store.compact(base + 2 * MINUTE);
    assert.deepEqual(await hourCount(t.store, 'roll', base), [[2, 1]]);
    const [minute] = await t.store.rollups('roll', 'minute', base, base + MINUTE);
    assert.equal(minute?.rollup.count, 2);

    // Late: their minute is compacted. A duplicate of a stored slot changes nothing...
    assert.deepEqual(await t.store.write([run('roll', base + 20_000, 30)]), { written: 0, duplicates: 1, fenced: 0 });
    assert.deepEqual(await hourCount(t.store, 'roll', base), [[2, 1]]);
    // ...and in one batch with a new slot, only the new one is folded.
    assert.deepEqual(await t.store.write([failed(base + 40_000, 3), run('roll', base, 40)]), {
      written: 1,
      duplicates: 1,
      fenced: 0,
    });
    assert.deepEqual(await hourCount(t.store, 'roll', base), [[3, 2]]);
    const totals = await t.store.totals('minute', base, base + MINUTE);
    assert.deepEqual(totals.get('roll'), { count: 3, failures: 2, degraded: 0 });
    assert.equal(await t.store.compact(base + 2 * MINUTE), 0, 'nothing twice');
    assert.deepEqual(await hourCount(t.store, 'roll', base), [[3, 2]]);
  });

  it('migrates a v5 database: its rows stay and keep no slot, and new runs are stored once per slot', {
    skip: t.skip,
  }, async () => {
    const legacy = await t.legacy(5);
    const base = T0 + 5 * HOUR;
    const pg = t.name === 'postgres';
    const table = (name: string) => (pg ? `lifeline_${name}` : name);
    const params = (n: number) => Array.from({ length: n }, (_, i) => (pg ? `$${i + 1}` : '?')).join(', ');
    await legacy.run(`INSERT INTO ${table('checks')} (id, name, url) VALUES (${params(3)})`, [
      1,
      'old',
      'http://old:3000/healthcheck',
    ]);
    const old = [run('old', base), run('old', base + 10_000), unplanned('old', base + 20_000)];
    for (const r of old) {
      const { slot: _v6, epoch: _epoch, ...v5 } = encode(r);
      await legacy.run(
        `INSERT INTO ${table('results')} (check_id, ${Object.keys(v5).join(', ')}) VALUES (${params(1 + Object.keys(v5).length)})`,
        [1, ...Object.values(v5)],
      );
    }
    const store = await legacy.open();
    try {
      assert.equal(await store.migrate(), 6);
      assert.deepEqual(await store.results('old', { limit: 10 }), [...old].reverse());
      // Rows stored before v6 have no slot: a run of the same slot (a later time) is not their duplicate.
      assert.deepEqual(await store.write([run('old', base + 10_000, 500)]), { written: 1, duplicates: 0, fenced: 0 });
      assert.deepEqual(await store.write([run('old', base + 10_000, 900), run('old', base + 30_000)]), {
        written: 1,
        duplicates: 1,
        fenced: 0,
      });
      await store.compact(base + MINUTE);
      assert.deepEqual(await hourCount(store, 'old', base), [[5, 0]]);
      if (store.cluster) assert.deepEqual((await store.cluster.members()).members, []);
    } finally {
      await store.close();
    }
  });
});
