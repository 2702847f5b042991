// Per-phase latency in rollups and certificate expiry in results (issue #12,
// schema v5), on every backend: what compaction folds, how rows merge, and what
// a database an older lifeline left becomes after the migration.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CheckResult, Phases } from '../domain/result.js';
import { foldResults, RESOLUTIONS, type Resolution, type Rollup, summarize } from '../domain/rollup.js';
import { bucketize } from '../domain/uptime.js';
import { type Backend, describeEachStore } from '../testing/store-backends.js';
import { encode, rollupInput, type Store } from './store.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-05-01T08:00:00.000Z');

const ph = (dns: number, connect: number, tls: number, ttfb: number, transfer: number): Phases => ({
  dns,
  connect,
  tls,
  ttfb,
  transfer,
  total: dns + connect + tls + ttfb + transfer,
});
const means = (p: Phases) => ({ dns: p.dns, connect: p.connect, tls: p.tls, ttfb: p.ttfb, transfer: p.transfer });

function result(check: string, at: number, phases: Phases, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    time: new Date(at).toISOString(),
    check,
    url: `https://${check}.example/healthz`,
    status: 200,
    ok: true,
    durationMs: phases.total,
    phases,
    ...extra,
  };
}

const refused = (check: string, at: number, phases: Phases) =>
  result(check, at, phases, {
    status: null,
    ok: false,
    error: { code: 'refused', message: 'connect ECONNREFUSED 10.0.0.7:443', phase: 'connect' },
  });

async function only(store: Store, check: string, resolution: Resolution, since: number): Promise<Rollup> {
  const rows = await store.rollups(check, resolution, since, since + RESOLUTIONS[resolution]);
  assert.equal(rows.length, 1, `one ${resolution} row of ${check}`);
  return (rows[0] as { rollup: Rollup }).rollup;
}

/** The rows of an older schema (v4) for one check, in each dialect's SQL. */
async function seedV4(
  backend: Backend['name'],
  run: (sql: string, params: readonly unknown[]) => Promise<void>,
  check: { id: number; name: string; url: string },
  raw: readonly CheckResult[],
  rollups: Iterable<{ resolution: Resolution; bucket: number; rollup: Rollup }>,
  watermark: number,
) {
  const pg = backend === 'postgres';
  const table = (name: string) => (pg ? `lifeline_${name}` : name);
  const params = (n: number) => Array.from({ length: n }, (_, i) => (pg ? `$${i + 1}` : '?')).join(', ');
  await run(`INSERT INTO ${table('checks')} (id, name, url) VALUES (${params(3)})`, [check.id, check.name, check.url]);
  for (const r of raw) {
    const { cert: _v5, slot: _v6, epoch: _epoch, ...v4 } = encode(r);
    await run(
      `INSERT INTO ${table('results')} (check_id, ${Object.keys(v4).join(', ')}) VALUES (${params(1 + Object.keys(v4).length)})`,
      [check.id, ...Object.values(v4)],
    );
  }
  for (const { resolution, bucket, rollup: x } of rollups) {
    // v4 kept histograms as uint32 BLOBs in SQLite and int[] in PostgreSQL.
    const hist = pg ? x.histogram : Buffer.from(new Uint32Array(x.histogram).buffer);
    await run(
      `INSERT INTO ${table('rollups')} (check_id, res, bucket, n, fails, degraded, sum_ms, max_ms, hist) VALUES (${params(9)})`,
      [check.id, RESOLUTIONS[resolution], bucket, x.count, x.failures, x.degraded, x.sumMs, x.maxMs, hist],
    );
  }
  await run(`INSERT INTO ${table('meta')} (key, value) VALUES (${params(2)})`, ['compacted_until', String(watermark)]);
}

describeEachStore('Store contract, phases and certificates', (t) => {
  it('folds phases into minute, hour and day rollups through compaction passes and late writes, exactly', {
    skip: t.skip,
  }, async () => {
    const a = ph(1.25, 2.5, 3.75, 10.01, 0.99);
    const b = ph(0.75, 0.5, 0.25, 20.03, 1.01);
    const c = ph(0.33, 0, 0, 0, 0);
    const d = ph(0, 0, 0, 5, 0);
    const e = ph(1.67, 1, 4, 9.96, 2);
    await t.store.write([result('ph', T0, a), result('ph', T0 + 20_000, b), refused('ph', T0 + 40_000, c)]);
    await t.store.write([result('ph', T0 + 60_000, d)]);
    await t.store.compact(T0 + 60_001); // the first minute only
    const first = await only(t.store, 'ph', 'minute', T0);
    assert.deepEqual([first.count, first.failures, first.phased], [3, 1, 3]);
    assert.deepEqual(summarize(T0, first).phases, { dns: 0.78, connect: 1, tls: 1.33, ttfb: 10.01, transfer: 0.67 });

    await t.store.compact(T0 + 120_000); // the second minute, added to the stored hour and day
    await t.store.write([result('ph', T0 + 30_000, e)]); // late: its minute is compacted, so it is folded at once

    const minutes = await t.store.rollups('ph', 'minute', T0, T0 + HOUR);
    assert.deepEqual(
      minutes.map((m) => [m.bucket - T0, m.rollup.count, m.rollup.phased, summarize(m.bucket, m.rollup).phases]),
      [
        [0, 4, 4, { dns: 1, connect: 1, tls: 2, ttfb: 10, transfer: 1 }],
        [60_000, 1, 1, means(d)],
      ],
    );
    const hour = await only(t.store, 'ph', 'hour', T0);
    const day = await only(t.store, 'ph', 'day', T0 - 8 * HOUR);
    for (const row of [hour, day]) {
      assert.deepEqual([row.count, row.failures, row.phased], [5, 1, 5]);
      assert.deepEqual(row.phaseSums, { dns: 400, connect: 400, tls: 800, ttfb: 4500, transfer: 400 }, 'in 1/100 ms');
    }
    const expected = { dns: 0.8, connect: 0.8, tls: 1.6, ttfb: 9, transfer: 0.8 };
    assert.deepEqual(summarize(T0, hour).phases, expected);
    // What GET /uptime?bucket=1h makes of minute rows is what the hour row says.
    assert.deepEqual(bucketize(minutes, T0, T0 + HOUR, HOUR)[0]?.phases, expected);
  });

  it('sums the phases of a check whose minute spans several compaction chunks as one pass would', {
    skip: t.skip,
  }, async () => {
    const base = T0 + 2 * 86_400_000;
    const busy = Array.from({ length: 4_500 }, (_, i) =>
      result('ph-busy', base + i * 10, ph((i % 7) / 100, (i % 11) / 100, (i % 13) / 10, (i % 97) / 100 + 1, 0.01)),
    );
    await t.store.write(busy);
    await t.store.compact(base + 60_000);
    const [pass] = [...foldResults(busy.map(rollupInput), ['hour']).values()];
    const hour = await only(t.store, 'ph-busy', 'hour', base);
    assert.deepEqual([hour.count, hour.phased, hour.phaseSums], [4_500, 4_500, pass?.rollup.phaseSums]);
  });

  it('round-trips the certificate expiry of a passing and a failing run, and leaves it out of a run without TLS', {
    skip: t.skip,
  }, async () => {
    const certificateExpiresAt = '2026-08-01T12:34:56.000Z';
    const passing = result('cert', T0, ph(1, 2, 3, 4, 5), { certificateExpiresAt });
    const failing = { ...refused('cert', T0 + 1_000, ph(1, 2, 3, 0, 0)), status: 503, certificateExpiresAt };
    const plain = result('cert', T0 + 2_000, ph(1, 2, 0, 4, 5));
    await t.store.write([passing, failing, plain]);
    const [c, b, a] = await t.store.results('cert', { limit: 10 });
    assert.deepEqual(a, passing);
    assert.deepEqual(b, failing);
    assert.deepEqual(c, plain);
    assert.ok(!('certificateExpiresAt' in (c as object)));
    assert.equal((await t.store.latest()).get('cert')?.certificateExpiresAt, undefined);
  });

  it('migrates a v4 database: counts stay, old buckets have no phase means, runs not yet compacted get them', {
    skip: t.skip,
  }, async () => {
    const legacy = await t.legacy(4);
    const base = T0 + 5 * 86_400_000;
    const compacted = [result('old', base, ph(1, 1, 1, 1, 1)), refused('old', base + 30_000, ph(3, 0, 0, 0, 0))];
    const pending = [result('old', base + 60_000, ph(2, 4, 6, 8, 10)), result('old', base + 90_000, ph(4, 4, 4, 4, 4))];
    // What v4 compaction left: the first minute folded, without phases.
    const v4 = foldResults(compacted.map(rollupInput).map(({ phases: _none, ...input }) => input)).values();
    await seedV4(
      t.name,
      (sql, params) => legacy.run(sql, params),
      { id: 1, name: 'old', url: 'https://old.example/healthz' },
      [...compacted, ...pending],
      v4,
      base + 60_000,
    );
    const store = await legacy.open();
    try {
      assert.equal(await store.migrate(), 6);
      const before = await only(store, 'old', 'hour', base);
      assert.deepEqual([before.count, before.failures, before.phased], [2, 1, 0]);
      assert.equal(summarize(base, before).phases, null, 'no means rather than zeros');
      assert.deepEqual(await store.results('old', { limit: 10 }), [...compacted, ...pending].reverse());

      await store.compact(base + 120_000);
      const minutes = await store.rollups('old', 'minute', base, base + HOUR);
      assert.deepEqual(
        minutes.map((m) => [m.bucket - base, m.rollup.count, m.rollup.failures, summarize(m.bucket, m.rollup).phases]),
        [
          [0, 2, 1, null],
          [60_000, 2, 0, { dns: 3, connect: 4, tls: 5, ttfb: 6, transfer: 7 }],
        ],
      );
      const hour = await only(store, 'old', 'hour', base);
      assert.deepEqual([hour.count, hour.failures, hour.phased], [4, 1, 2]);
      assert.deepEqual(summarize(base, hour).phases, { dns: 3, connect: 4, tls: 5, ttfb: 6, transfer: 7 });

      const withCert = result('old', base + 150_000, ph(1, 1, 1, 1, 1), {
        certificateExpiresAt: '2027-01-01T00:00:00.000Z',
      });
      await store.write([withCert]);
      assert.deepEqual((await store.results('old', { limit: 1 }))[0], withCert);
    } finally {
      await store.close();
    }
  });
});
