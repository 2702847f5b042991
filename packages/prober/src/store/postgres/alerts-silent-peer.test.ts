// Issue #10 with issue #9's fault: a PostgreSQL peer that goes silent (no RST)
// turns recordAlerts and claimNotifications into rejections within the store's
// bounds, never a hang; nothing of the failed write is kept, and the store
// works again once the peer answers. The database is the real one, behind a
// TCP proxy this test owns.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { serviceMissing } from '../../../../../test/support/services.js';
import { failingChange } from '../../testing/alert-change.js';
import { bounded } from '../../testing/faults.js';
import { startTcpProxy, type TcpProxy } from '../../testing/tcp-proxy.js';
import type { Store } from '../store.js';
import { createPostgresStore } from './postgres-store.js';

const PG_URL = process.env.LIFELINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Date.parse('2026-05-01T08:00:00.000Z');

describe('PostgreSQL alert store behind a silent peer (issue #10, bounds of issue #9)', async () => {
  const skip = await serviceMissing('PostgreSQL', '127.0.0.1', 5432);
  const schema = `lifeline_alerts_silent_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let proxy: TcpProxy;
  let admin: pg.Client;
  const open: Store[] = [];
  const connect = async () => {
    const store = createPostgresStore({
      url: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
      schema,
      connectTimeoutMs: 500,
      queryTimeoutMs: 500,
      closeTimeoutMs: 500,
      keepAliveDelayMs: 1_000,
    });
    open.push(store);
    await store.migrate();
    return store;
  };

  before(async () => {
    if (skip) return;
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    proxy = await startTcpProxy(5432);
  });
  after(async () => {
    if (skip) return;
    try {
      for (const store of open) await store.close();
      await proxy?.close();
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('rejects recordAlerts and claimNotifications within the bounds, keeps nothing of the failed write, and recovers', {
    skip,
  }, async () => {
    const store = await connect();
    await store.recordAlerts([failingChange('before', 'pager', T0)]);
    assert.equal((await store.claimNotifications('pager', T0, 10, T0 + 60_000)).length, 1);

    proxy.mode('silent');
    await bounded(
      assert.rejects(store.recordAlerts([failingChange('during', 'pager', T0)])),
      15_000,
      'recordAlerts to a silent peer',
    );
    await bounded(
      assert.rejects(store.claimNotifications('pager', T0 + 60_000, 10, T0 + 120_000)),
      15_000,
      'claimNotifications from a silent peer',
    );
    await bounded(store.close(), 15_000, 'store.close() with a silent peer');
    await bounded(proxy.drained(), 15_000, 'every connection to the silent peer closed');
    assert.equal(proxy.open, 0);

    // The peer answers again: a new store sees the first write whole and nothing of the failed one.
    proxy.mode('forward');
    const again = await connect();
    assert.deepEqual([...(await again.alertStates()).keys()], ['before']);
    assert.deepEqual(await again.incidents({ check: 'during', limit: 10 }), []);
    assert.deepEqual(await again.notifications({ check: 'during', limit: 10 }), []);
    await again.recordAlerts([failingChange('after', 'pager', T0)]);
    const claimed = await again.claimNotifications('pager', T0 + 60_000, 10, T0 + 120_000);
    assert.deepEqual(claimed.map((n) => n.check).sort(), ['after', 'before']);
  });
});
