// Issue #13: membership, leases and fencing on PostgreSQL (store/postgres/cluster.ts),
// against the real database in a schema of its own. Time passing is made by
// moving a member's stored times back (the test owns the rows), never by
// sleeping; every time the store sets comes from the database clock.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import { serviceMissing } from '../../../../../test/support/services.js';
import type { CheckResult } from '../../domain/result.js';
import { failingChange } from '../../testing/alert-change.js';
import { bounded } from '../../testing/faults.js';
import { PG_URL } from '../../testing/store-backends.js';
import { type ClusterSnapshot, type ClusterStore, isFenced, type MemberInfo } from '../cluster.js';
import type { Store } from '../store.js';
import { createTransaction } from './context.js';
import { createPostgresStore, poolConfig } from './postgres-store.js';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');
const TTL = 15_000;
const DELAY = 6_000;
const EXPEL = 5_000;

const member = (id: string) => ({ id, host: `host-of-${id}`, api: `http://${id}:8080` });
const find = (snapshot: ClusterSnapshot, id: string): MemberInfo => {
  const found = snapshot.members.find((m) => m.id === id);
  assert.ok(found, `${id} is in the snapshot`);
  return found;
};
const ids = (snapshot: ClusterSnapshot) => snapshot.members.map((m) => m.id);

let seq = 0;
const result = (check: string, extra: Partial<CheckResult> = {}): CheckResult => {
  const slot = T0 + seq++ * 1_000;
  return {
    time: new Date(slot + 2).toISOString(),
    check,
    url: `http://${check}:3000/healthcheck`,
    status: 200,
    ok: true,
    durationMs: 3,
    phases: { dns: 0, connect: 1, tls: 0, ttfb: 2, transfer: 0, total: 3 },
    scheduledAt: new Date(slot).toISOString(),
    ...extra,
  };
};

const change = (check: string, channel = 'pager') => failingChange(check, channel, T0);

describe('PostgreSQL cluster store (issue #13)', async () => {
  const skip = await serviceMissing('PostgreSQL', '127.0.0.1', 5432);
  const schema = `lifeline_cluster_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let store: Store;
  let cluster: ClusterStore;
  /** Another monitor on the same database, with alert fencing on: its epoch is `fencedEpoch`. */
  let fencedStore: Store;
  let fencedEpoch: number | undefined;
  let admin: pg.Client;

  /** Moves a member's stored times `ms` back: as if that much time had passed since it joined or renewed. */
  const age = async (id: string, ms: number) => {
    const { rowCount } = await admin.query(
      `UPDATE lifeline_members SET started_at = started_at - $2, active_at = active_at - $2,
         renewed_at = renewed_at - $2, expires_at = expires_at - $2 WHERE id = $1`,
      [id, ms],
    );
    assert.equal(rowCount, 1, `${id} is stored`);
  };
  const dbNow = async () =>
    Number((await admin.query('SELECT floor(extract(epoch FROM clock_timestamp()) * 1000) AS ms')).rows[0].ms);
  const stored = async () =>
    (await admin.query('SELECT id, epoch::int AS epoch FROM lifeline_members ORDER BY id')).rows;
  /**
   * Runs `change` in a transaction of the test's connection, starts `work`,
   * waits (bounded) until `work` waits for that transaction, then commits: what
   * a member expelled while its write is in flight sees.
   */
  const committedWhileWaiting = async <T>(change: string, work: () => Promise<T>): Promise<T> => {
    await admin.query('BEGIN');
    let open = true;
    try {
      await admin.query(change);
      const pending = work();
      pending.catch(() => {}); // awaited below; a rejection before then is not unhandled
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
      for (let tries = 0; (await waiting()) < 1; tries++) {
        assert.ok(tries < 500, 'the work waits for the member row');
        await new Promise((resolve) => setImmediate(resolve));
      }
      await admin.query('COMMIT');
      open = false;
      return await bounded(pending, 10_000, 'the work after the commit');
    } finally {
      if (open) await admin.query('ROLLBACK');
    }
  };

  before(async () => {
    if (skip) return;
    store = createPostgresStore({ url: PG_URL, schema });
    await store.migrate();
    cluster = store.cluster as ClusterStore;
    fencedStore = createPostgresStore({ url: PG_URL, schema });
    await fencedStore.migrate();
    fencedStore.cluster?.useFence(() => fencedEpoch);
    admin = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await admin.connect();
  });
  beforeEach(async () => {
    if (skip) return;
    await admin.query('DELETE FROM lifeline_members');
  });
  after(async () => {
    if (skip) return;
    try {
      await store?.close();
      await fencedStore?.close();
    } finally {
      await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin?.end();
    }
  });

  it('is there on PostgreSQL only', { skip }, () => {
    assert.ok(store.cluster, 'the PostgreSQL store has a cluster store');
  });

  it('draws a new, larger epoch at every join and times the lease by the database clock', { skip }, async () => {
    const before = await dbNow();
    const a = await cluster.join(member('a'), TTL, DELAY);
    const after = await dbNow();
    assert.ok(Number.isSafeInteger(a.epoch) && a.epoch > 0);
    assert.ok(a.snapshot.now >= before && a.snapshot.now <= after, 'the snapshot carries the database clock');
    assert.deepEqual(find(a.snapshot, 'a'), {
      id: 'a',
      epoch: a.epoch,
      host: 'host-of-a',
      api: 'http://a:8080',
      startedAt: a.snapshot.now,
      activeAt: a.snapshot.now,
      renewedAt: a.snapshot.now,
      expiresAt: a.snapshot.now + TTL,
    });
    const b = await cluster.join({ id: 'b', host: 'pod-b', api: null }, TTL + 1_000, DELAY);
    assert.ok(b.epoch > a.epoch);
    assert.deepEqual(ids(b.snapshot), ['a', 'b']);
    assert.equal(find(b.snapshot, 'b').api, null);
    assert.equal(find(b.snapshot, 'b').expiresAt - b.snapshot.now, TTL + 1_000);
    const again = await cluster.join(member('a'), TTL, DELAY);
    assert.ok(again.epoch > b.epoch);
    const listed = await cluster.members();
    assert.deepEqual(listed.members, again.snapshot.members);
    assert.ok(listed.now >= again.snapshot.now);
  });

  it('makes a joiner active at once unless another member holds a live lease', { skip }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    assert.equal(find(a.snapshot, 'a').activeAt, a.snapshot.now, 'nobody else: active now');
    const rejoined = await cluster.join(member('a'), TTL, DELAY);
    assert.equal(find(rejoined.snapshot, 'a').activeAt, rejoined.snapshot.now, 'its own lease does not count');
    const b = await cluster.join(member('b'), TTL, DELAY);
    assert.equal(find(b.snapshot, 'b').activeAt, b.snapshot.now + DELAY, 'a holds a live lease: b waits');
    // Both leases end (the members stopped renewing); they are not expelled yet.
    await age('a', TTL + 1);
    await age('b', TTL + 1);
    const c = await cluster.join(member('c'), TTL, DELAY);
    assert.equal(find(c.snapshot, 'c').activeAt, c.snapshot.now, 'lapsed leases do not count');
    assert.deepEqual(ids(c.snapshot), ['a', 'b', 'c'], 'lapsed members are listed until expelled');
  });

  it('renews a lease, also after it lapsed, until another member expels it', { skip }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    const renewed = await cluster.renew('a', a.epoch, TTL + 5_000, EXPEL);
    assert.equal(renewed.renewed, true);
    const mine = find(renewed.snapshot, 'a');
    assert.equal(mine.expiresAt - renewed.snapshot.now, TTL + 5_000);
    assert.equal(mine.renewedAt, renewed.snapshot.now);
    assert.equal(mine.startedAt, find(a.snapshot, 'a').startedAt, 'a renew keeps when it started');

    const b = await cluster.join(member('b'), TTL, DELAY);
    await age('a', TTL + 5_000 + EXPEL - 1_000); // lapsed, for less than expelAfter
    assert.deepEqual(ids((await cluster.renew('b', b.epoch, TTL, EXPEL)).snapshot), ['a', 'b'], 'not expelled yet');
    const late = await cluster.renew('a', a.epoch, TTL, EXPEL);
    assert.equal(late.renewed, true, 'a lapsed lease is renewed while its row stands');
    assert.equal(find(late.snapshot, 'a').expiresAt, late.snapshot.now + TTL);

    await age('a', TTL + EXPEL + 1); // lapsed for longer than expelAfter
    const expelling = await cluster.renew('b', b.epoch, TTL, EXPEL);
    assert.equal(expelling.renewed, true);
    assert.deepEqual(ids(expelling.snapshot), ['b'], 'the snapshot is taken after the expel');
    assert.deepEqual(await stored(), [{ id: 'b', epoch: b.epoch }]);
    const gone = await cluster.renew('a', a.epoch, TTL, EXPEL);
    assert.equal(gone.renewed, false, 'expelled: it must join again');
    assert.deepEqual(ids(gone.snapshot), ['b']);
  });

  it('makes a lease renewed after a lapse active again only after activeDelay while others hold theirs', {
    skip,
  }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    // Alone: a lapse and a renew change nothing about when it owns checks.
    await age('a', TTL + 1);
    const alone = await cluster.renew('a', a.epoch, TTL, EXPEL, DELAY);
    assert.ok(find(alone.snapshot, 'a').activeAt <= alone.snapshot.now - TTL, 'nobody else took its checks');
    const b = await cluster.join(member('b'), TTL, DELAY);
    await cluster.renew('b', b.epoch, TTL, EXPEL, DELAY);
    // On time: activeAt stays.
    const before = find((await cluster.renew('a', a.epoch, TTL, EXPEL, DELAY)).snapshot, 'a').activeAt;
    const onTime = await cluster.renew('a', a.epoch, TTL, EXPEL, DELAY);
    assert.equal(find(onTime.snapshot, 'a').activeAt, before);
    // Lapsed while b held a live lease: b took a's checks, and keeps them until it has seen a back.
    await age('a', TTL + 1);
    const back = await cluster.renew('a', a.epoch, TTL, EXPEL, DELAY);
    assert.equal(back.renewed, true);
    assert.equal(find(back.snapshot, 'a').activeAt, back.snapshot.now + DELAY);
  });

  it("never expels the renewing member's own row, however late its renew", { skip }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    await age('a', 10 * TTL);
    const late = await cluster.renew('a', a.epoch, TTL, EXPEL);
    assert.equal(late.renewed, true);
    assert.deepEqual(await stored(), [{ id: 'a', epoch: a.epoch }]);
  });

  it('replaces the epoch when the same id joins again, fencing the old one; leave needs the current epoch', {
    skip,
  }, async () => {
    const first = await cluster.join(member('a'), TTL, DELAY);
    const second = await cluster.join(member('a'), TTL, DELAY);
    assert.deepEqual(await stored(), [{ id: 'a', epoch: second.epoch }]);
    const old = await cluster.renew('a', first.epoch, TTL + 9_000, EXPEL);
    assert.equal(old.renewed, false);
    assert.equal(
      find(old.snapshot, 'a').expiresAt,
      find(second.snapshot, 'a').expiresAt,
      'the old epoch renews nothing',
    );
    assert.deepEqual(await store.write([result('rejoin', { epoch: first.epoch })]), {
      written: 0,
      duplicates: 0,
      fenced: 1,
    });
    assert.deepEqual(await store.write([result('rejoin', { epoch: second.epoch })]), {
      written: 1,
      duplicates: 0,
      fenced: 0,
    });
    await cluster.leave('a', first.epoch);
    assert.deepEqual(await stored(), [{ id: 'a', epoch: second.epoch }], 'the old process cannot remove the new one');
    await cluster.leave('a', second.epoch);
    assert.deepEqual(await stored(), []);
    assert.deepEqual((await cluster.members()).members, []);
  });

  it('stores the results of a member until it is expelled, then fences them', { skip }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    const b = await cluster.join(member('b'), TTL, DELAY);
    await age('a', TTL + 1); // lapsed, not expelled: its results still go in
    const kept = result('fence', { epoch: a.epoch });
    assert.deepEqual(await store.write([kept]), { written: 1, duplicates: 0, fenced: 0 });
    await age('a', EXPEL + 1);
    await cluster.renew('b', b.epoch, TTL, EXPEL);
    const live = result('fence', { epoch: b.epoch });
    const expelled = result('fence', { epoch: a.epoch });
    const plain = result('fence');
    const again = { ...live, time: new Date(Date.parse(live.time) + 5).toISOString() };
    assert.deepEqual(await store.write([live, expelled, plain, again]), { written: 2, duplicates: 1, fenced: 1 });
    const times = (await store.results('fence', { limit: 10 })).map((r) => r.time);
    assert.deepEqual(times, [plain.time, live.time, kept.time]);
  });

  it('fences a write and an alert in flight when the expel commits first (they wait for the member row)', {
    skip,
  }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    fencedEpoch = a.epoch;
    const write = await committedWhileWaiting("DELETE FROM lifeline_members WHERE id = 'a'", () =>
      store.write([result('in-flight', { epoch: a.epoch })]),
    );
    assert.deepEqual(write, { written: 0, duplicates: 0, fenced: 1 });
    const b = await cluster.join(member('b'), TTL, DELAY);
    fencedEpoch = b.epoch;
    const alert = committedWhileWaiting("DELETE FROM lifeline_members WHERE id = 'b'", () =>
      fencedStore.recordAlerts([change('in-flight')]),
    );
    await assert.rejects(alert, (error: unknown) => isFenced(error));
    assert.equal((await store.alertStates()).has('in-flight'), false);
  });

  it('expels around a member row another transaction holds, without waiting for it', { skip }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    const b = await cluster.join(member('b'), TTL, DELAY);
    await age('a', TTL + EXPEL + 1);
    await admin.query('BEGIN');
    try {
      // A write of `a` in flight holds its row (key share, as the results insert takes it).
      await admin.query("SELECT 1 FROM lifeline_members WHERE id = 'a' FOR KEY SHARE");
      const skipped = await bounded(cluster.renew('b', b.epoch, TTL, EXPEL), 5_000, 'renew');
      assert.equal(skipped.renewed, true);
      assert.deepEqual(ids(skipped.snapshot), ['a', 'b'], 'left for the next renew');
    } finally {
      await admin.query('COMMIT');
    }
    assert.deepEqual(ids((await cluster.renew('b', b.epoch, TTL, EXPEL)).snapshot), ['b']);
    assert.equal((await cluster.renew('a', a.epoch, TTL, EXPEL)).renewed, false);
  });

  it('expels a member frozen inside a transaction once the idle bound has ended it', { skip }, async () => {
    const a = await cluster.join(member('a'), TTL, DELAY);
    const b = await cluster.join(member('b'), TTL, DELAY);
    await age('a', TTL + EXPEL + 1);
    // Member a's process, frozen (SIGSTOP) between two statements of a result write: its
    // transaction holds its row and sends nothing more.
    const pool = new pg.Pool(poolConfig({ url: PG_URL, schema, transactionIdleTimeoutMs: 300 }));
    pool.on('error', () => {});
    let thaw = () => {};
    const frozen = new Promise<void>((resolve) => {
      thaw = resolve;
    });
    let locked: (pid: number) => void = () => {};
    const holding = new Promise<number>((resolve) => {
      locked = resolve;
    });
    const write = createTransaction(pool)(async (client) => {
      await client.query("SELECT 1 FROM lifeline_members WHERE id = 'a' FOR KEY SHARE");
      locked((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0);
      await frozen;
      await client.query('SELECT 1');
    });
    write.catch(() => {}); // awaited below
    let watching = true;
    try {
      const pid = await bounded(holding, 5_000, 'the frozen write holds the row');
      assert.deepEqual(ids((await cluster.renew('b', b.epoch, TTL, EXPEL)).snapshot), ['a', 'b'], 'held: skipped');
      const ended = async () => {
        const alive = async () =>
          (await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid])).rows[0].n > 0;
        while (watching && (await alive())) await new Promise((resolve) => setImmediate(resolve));
      };
      await bounded(ended(), 10_000, 'the server ends the idle transaction');
      assert.deepEqual(ids((await cluster.renew('b', b.epoch, TTL, EXPEL)).snapshot), ['b'], 'then expelled');
    } finally {
      watching = false;
      thaw();
      await assert.rejects(bounded(write, 5_000, 'the thawed write'), 'its transaction is gone');
      await pool.end();
    }
    assert.equal((await cluster.renew('a', a.epoch, TTL, EXPEL)).renewed, false, 'a must join again');
  });

  it('leaves alerts alone without useFence', { skip }, async () => {
    // No member at all: a single-node monitor never calls useFence.
    await store.recordAlerts([change('unfenced')]);
    assert.ok((await store.alertStates()).has('unfenced'));
  });

  it('records alerts only while the fencing epoch holds a live lease, and writes nothing otherwise', {
    skip,
  }, async () => {
    const rejects = async (check: string) => {
      await assert.rejects(fencedStore.recordAlerts([change(check)]), (error: unknown) => isFenced(error));
      assert.equal((await fencedStore.alertStates()).has(check), false, `no state of ${check}`);
      assert.deepEqual(await fencedStore.incidents({ check, limit: 10 }), []);
      assert.deepEqual(await fencedStore.notifications({ check, limit: 10 }), []);
    };
    const a = await cluster.join(member('a'), TTL, DELAY);
    fencedEpoch = undefined;
    await rejects('f-none');
    fencedEpoch = a.epoch;
    await fencedStore.recordAlerts([change('f-live')]);
    assert.ok((await fencedStore.alertStates()).has('f-live'));

    await age('a', TTL + 1);
    await rejects('f-lapsed');
    assert.equal((await cluster.renew('a', a.epoch, TTL, EXPEL)).renewed, true);
    await fencedStore.recordAlerts([change('f-renewed')]);

    const b = await cluster.join(member('b'), TTL, DELAY);
    await age('a', TTL + EXPEL + 1);
    await cluster.renew('b', b.epoch, TTL, EXPEL);
    await rejects('f-expelled');
    fencedEpoch = b.epoch;
    await fencedStore.recordAlerts([change('f-other')]);
    assert.ok((await fencedStore.alertStates()).has('f-other'));
  });

  it('claims no notification while the fencing epoch holds no live lease', { skip }, async () => {
    await store.recordAlerts([change('claim', 'claims')]);
    const due = async () => (await store.notifications({ check: 'claim', limit: 10 }))[0]?.nextAttemptAt;
    const a = await cluster.join(member('a'), TTL, DELAY);
    fencedEpoch = undefined;
    assert.deepEqual(await fencedStore.claimNotifications('claims', T0 + 1, 10, T0 + 30_000), []);
    fencedEpoch = a.epoch;
    await age('a', TTL + 1);
    assert.deepEqual(await fencedStore.claimNotifications('claims', T0 + 1, 10, T0 + 30_000), []);
    assert.equal(await due(), T0, 'left due');
    await cluster.renew('a', a.epoch, TTL, EXPEL);
    const claimed = await fencedStore.claimNotifications('claims', T0 + 1, 10, T0 + 30_000);
    assert.deepEqual(
      claimed.map((n) => [n.check, n.nextAttemptAt]),
      [['claim', T0 + 30_000]],
    );
    await cluster.leave('a', a.epoch);
    assert.deepEqual(await fencedStore.claimNotifications('claims', T0 + 30_000, 10, T0 + 60_000), []);
    assert.equal(await due(), T0 + 30_000);
  });
});
