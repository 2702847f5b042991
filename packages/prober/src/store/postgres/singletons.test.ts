// Issue #13: work that one member of a cluster does for all (compaction,
// retention) and writes that two members race for (one run slot), on the real
// PostgreSQL in a schema of its own. The overlap is made, not hoped for: a
// connection of the test holds the lock or the row the store needs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { serviceMissing } from '../../../../../test/support/services.js';
import type { CheckResult } from '../../domain/result.js';
import { bounded } from '../../testing/faults.js';
import { PG_URL } from '../../testing/store-backends.js';
import { encode, type Store } from '../store.js';
import { singletonKey } from './context.js';
import { createPostgresStore } from './postgres-store.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const RETENTION = { rawMs: DAY, minuteMs: 2 * DAY, hourMs: 3 * DAY, dayMs: null };

const run = (check: string, slot: number, late = 2): CheckResult => ({
  time: new Date(slot + late).toISOString(),
  check,
  url: `http://${check}:3000/healthcheck`,
  status: 200,
  ok: true,
  durationMs: 3,
  phases: { dns: 0, connect: 1, tls: 0, ttfb: 2, transfer: 0, total: 3 },
  scheduledAt: new Date(slot).toISOString(),
});

describe('PostgreSQL singletons and racing writers (issue #13)', async () => {
  const skip = await serviceMissing('PostgreSQL', '127.0.0.1', 5432);
  const schema = `lifeline_singletons_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let a: Store;
  let b: Store;
  /** The test's own connection, in the stores' schema (so current_schema() names the same locks). */
  let admin: pg.Client;

  const minuteCounts = async (check: string, since: number, until: number) =>
    (await a.rollups(check, 'minute', since, until)).map((r) => r.rollup.count);
  /** Holds a singleton's lock on the test's connection while fn runs, as another member would. */
  const holding = async <T>(task: 'compact' | 'prune', fn: () => Promise<T>): Promise<T> => {
    await admin.query(`SELECT pg_advisory_lock(${singletonKey(task)})`);
    try {
      return await fn();
    } finally {
      await admin.query(`SELECT pg_advisory_unlock(${singletonKey(task)})`);
    }
  };

  before(async () => {
    if (skip) return;
    a = createPostgresStore({ url: PG_URL, schema });
    await a.migrate();
    b = createPostgresStore({ url: PG_URL, schema });
    await b.migrate();
    admin = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await admin.connect();
  });
  after(async () => {
    if (skip) return;
    try {
      await a?.close();
      await b?.close();
    } finally {
      await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin?.end();
    }
  });

  it('compact returns 0 at once while another connection compacts, and compacts once the lock is free', {
    skip,
  }, async () => {
    await a.write(Array.from({ length: 6 }, (_, i) => run('held', T0 + i * 20_000)));
    const skipped = await holding('compact', () => bounded(a.compact(T0 + 3 * MINUTE), 5_000, 'compact'));
    assert.equal(skipped, 0);
    assert.deepEqual(await minuteCounts('held', T0, T0 + 3 * MINUTE), [], 'nothing folded');
    assert.equal(await a.compact(T0 + 3 * MINUTE), 6);
    assert.deepEqual(await minuteCounts('held', T0, T0 + 3 * MINUTE), [3, 3]);
  });

  it('lets one of two members compacting at once fold the rows, once', { skip }, async () => {
    const base = T0 + 10 * MINUTE;
    await a.write(Array.from({ length: 40 }, (_, i) => run('twice', base + i * 3_000)));
    const done = await Promise.all([a.compact(base + 3 * MINUTE), b.compact(base + 3 * MINUTE)]);
    assert.deepEqual(
      done.sort((x, y) => x - y),
      [0, 40],
    );
    assert.deepEqual(await minuteCounts('twice', base, base + 3 * MINUTE), [20, 20]);
  });

  it('prune returns zero counts at once while another connection prunes, and prunes once the lock is free', {
    skip,
  }, async () => {
    const now = T0 + 10 * DAY;
    await a.write([run('old', T0 + 5 * DAY), run('old', T0 + 9 * DAY + MINUTE)]);
    await a.compact(now);
    const skipped = await holding('prune', () => bounded(a.prune(now, RETENTION), 5_000, 'prune'));
    assert.deepEqual(skipped, { raw: 0, minute: 0, hour: 0, day: 0, notifications: 0 });
    assert.equal((await a.results('old', { limit: 10 })).length, 2, 'nothing deleted');
    const pruned = await a.prune(now, RETENTION);
    assert.ok(pruned.raw >= 1 && pruned.minute >= 1, JSON.stringify(pruned));
    assert.deepEqual(
      (await a.results('old', { limit: 10 })).map((r) => r.time),
      [run('old', T0 + 9 * DAY + MINUTE).time],
    );
  });

  it('stores each slot once when two members write the same slots at the same moment, without deadlock', {
    skip,
  }, async () => {
    const base = T0 + 20 * DAY;
    const slots = Array.from({ length: 30 }, (_, i) => base + i * 10_000);
    await a.write([run('race', base - 10_000)]); // the check gets its id
    const { rows } = await admin.query<{ id: number }>("SELECT id FROM lifeline_checks WHERE name = 'race'");
    const checkId = rows[0]?.id;
    // The test's connection writes the first slot and holds it uncommitted: both writers queue behind it.
    const first = encode(run('race', base, 1));
    await admin.query('BEGIN');
    let open = true;
    try {
      await admin.query(
        'INSERT INTO lifeline_results (check_id, t, ok, dur, dns, conn, tls, ttfb, xfer, slot) VALUES ($1, $2, 1, 0, 0, 0, 0, 0, 0, $3)',
        [checkId, first.t, first.slot],
      );
      const writes = Promise.all([
        a.write(slots.map((slot) => run('race', slot, 2))),
        b.write(slots.map((slot) => run('race', slot, 3)).reverse()),
      ]);
      // Both are in flight, waiting on this transaction (bounded: each check is one round trip).
      const waiting = async () =>
        Number(
          (
            await admin.query(
              `SELECT count(*) AS n FROM pg_locks w WHERE NOT w.granted AND w.locktype = 'transactionid'
               AND w.transactionid = (SELECT transactionid FROM pg_locks
                                      WHERE pid = pg_backend_pid() AND locktype = 'transactionid' AND granted)`,
            )
          ).rows[0].n,
        );
      for (let tries = 0; (await waiting()) < 2; tries++) {
        assert.ok(tries < 500, 'both writers reach the held slot');
        await new Promise((resolve) => setImmediate(resolve));
      }
      await admin.query('ROLLBACK');
      open = false;
      const reports = await bounded(writes, 10_000, 'the racing writes');
      assert.deepEqual(
        reports.map((r) => r.written + r.duplicates),
        [30, 30],
      );
      assert.equal(reports[0].written + reports[1].written, 30);
      assert.equal(reports[0].fenced + reports[1].fenced, 0);
    } finally {
      if (open) await admin.query('ROLLBACK');
    }
    const stored = await a.results('race', { since: base, limit: 100 });
    assert.deepEqual(stored.map((r) => Date.parse(r.scheduledAt as string)).reverse(), slots);
    await a.compact(base + 6 * MINUTE);
    assert.deepEqual(await minuteCounts('race', base, base + 5 * MINUTE), [6, 6, 6, 6, 6]);
  });
});
