// Issue #9, defect 10: a store that cannot be read must not turn the check
// list into a 500. What is in memory is served (503, `history: "unavailable"`),
// and the history routes answer 503 with a clear message. Real stores only: a
// closed SQLite file, and PostgreSQL behind a proxy this test owns.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createHealth } from '@lifeline/health';
import pg from 'pg';
import { serviceMissing } from '../../../../test/support/services.js';
import type { CheckResult } from '../domain/result.js';
import { createPostgresStore } from '../store/postgres/postgres-store.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { makeCheck } from '../testing/check.js';
import { createApiServer } from './app.js';
import { createMetrics } from './metrics.js';

const PG_URL = process.env.LIFELINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NOW = Date.parse('2026-06-30T12:00:00.000Z');

const result = (at: number, ok: boolean): CheckResult => ({
  time: new Date(at).toISOString(),
  check: 'api',
  url: 'http://api:3000/healthcheck',
  status: ok ? 200 : 503,
  ok,
  durationMs: 4,
  phases: { dns: 0, connect: 1, tls: 0, ttfb: 2, transfer: 1, total: 4 },
  ...(ok ? {} : { error: { code: 'http_status' as const, message: 'status 503 is not in 200-399' } }),
});

type Mode = 'forward' | 'refuse' | 'silent';

/** A TCP proxy to PostgreSQL that the test switches: forward, refuse (reset every connection) or silent. */
async function startProxy(target: { host: string; port: number }) {
  let mode: Mode = 'forward';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === 'refuse') return client.resetAndDestroy();
    if (mode === 'silent') return; // accepts, never answers
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    /** Switches mode; every open connection is cut, as a network fault would. */
    set(next: Mode) {
      mode = next;
      for (const s of sockets) s.resetAndDestroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function startApi(store: Store | undefined, historyTimeoutMs?: number) {
  const latest = new Map<string, CheckResult>([['api', result(NOW - 60_000, false)]]);
  const health = createHealth({ checks: {} });
  const server = createApiServer({
    checks: () => [makeCheck({ name: 'api' }), makeCheck({ name: 'fresh' })],
    latest: () => latest,
    ...(store ? { store } : {}),
    metrics: createMetrics(() => latest),
    health,
    now: () => NOW,
    ...(historyTimeoutMs !== undefined ? { historyTimeoutMs } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: async (path: string) => {
      const res = await fetch(`${base}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },
    async close() {
      health.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function seed(store: Store) {
  await store.migrate();
  await store.write([result(NOW - 3 * 60_000, true), result(NOW - 2 * 60_000, false), result(NOW - 60_000, false)]);
}

/** What every failing store must produce, whatever the reason. */
async function assertDegraded(api: Awaited<ReturnType<typeof startApi>>, reason: RegExp) {
  const list = await api.get('/api/v1/checks');
  assert.equal(list.status, 503);
  assert.equal(list.body.error, 'history_unavailable');
  assert.equal(list.body.history, 'unavailable');
  assert.match(list.body.message, reason);
  assert.deepEqual(
    list.body.checks.map((c: any) => [c.name, c.state, c.lastResult?.time ?? null, c.uptime, c.p95Ms]),
    [
      ['api', 'down', new Date(NOW - 60_000).toISOString(), null, null],
      ['fresh', 'unknown', null, null, null],
    ],
    'the checks and their newest results are still served from memory',
  );
  assert.equal(list.body.checks[0].lastFailure.time, new Date(NOW - 60_000).toISOString());
  assert.equal(list.body.checks[0].downSince, null, 'unknown without the history');

  const one = await api.get('/api/v1/checks/api');
  assert.deepEqual(
    [one.status, one.body.error, one.body.history, one.body.name],
    [503, 'history_unavailable', 'unavailable', 'api'],
  );
  for (const path of [
    '/api/v1/checks/api/results',
    '/api/v1/checks/api/uptime?window=1h',
    '/api/v1/overview?checks=api',
  ]) {
    const res = await api.get(path);
    assert.equal(res.status, 503, path);
    assert.equal(res.body.error, 'history_unavailable', path);
    assert.match(res.body.message, /^the stored history is unavailable: /, path);
    assert.match(res.body.message, reason, path);
  }
  assert.equal((await api.get('/api/v1/checks/nope/results')).status, 404, 'a bad name is still a 404');
}

describe('monitor API when the store cannot be read', () => {
  it('storage: none: the checks from memory with history "none"; the history routes a 503 no_store', async () => {
    const api = await startApi(undefined);
    try {
      const list = await api.get('/api/v1/checks');
      assert.deepEqual([list.status, list.body.history, list.body.checks[0].uptime], [200, 'none', null]);
      assert.equal(list.body.checks[0].lastFailure.time, new Date(NOW - 60_000).toISOString());
      const one = await api.get('/api/v1/checks/api');
      assert.deepEqual([one.status, one.body.history, one.body.downSince], [200, 'none', null]);
      for (const path of ['/api/v1/checks/api/results', '/api/v1/checks/api/uptime', '/api/v1/overview?checks=api']) {
        const res = await api.get(path);
        assert.deepEqual([res.status, res.body.error], [503, 'no_store'], path);
      }
    } finally {
      await api.close();
    }
  });

  it('SQLite: a closed database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-history-'));
    const store = createSqliteStore(join(dir, 'l.db'));
    await seed(store);
    const api = await startApi(store);
    try {
      assert.equal((await api.get('/api/v1/checks')).status, 200);
      await store.close();
      await assertDegraded(api, /database connection is not open/);
    } finally {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL behind a proxy', async () => {
    const skip = await serviceMissing('PostgreSQL', '127.0.0.1', 5432);
    const schema = `lifeline_api_history_${process.pid}`;
    after(async () => {
      if (skip) return;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });

    for (const mode of ['refuse', 'silent'] as const) {
      it(`that ${mode === 'refuse' ? 'resets every connection' : 'accepts and never answers'}`, { skip }, async () => {
        const url = new URL(PG_URL);
        const proxy = await startProxy({ host: url.hostname, port: Number(url.port || 5432) });
        url.host = `127.0.0.1:${proxy.port}`;
        const store = createPostgresStore({ url: url.href, schema });
        await seed(store);
        const api = await startApi(store, 500);
        try {
          const ok = await api.get('/api/v1/checks');
          assert.deepEqual([ok.status, ok.body.history], [200, 'available']);
          assert.equal(ok.body.checks[0].downSince, new Date(NOW - 2 * 60_000).toISOString());
          proxy.set(mode);
          await assertDegraded(
            api,
            mode === 'refuse' ? /ECONNRESET|Connection terminated/ : /did not answer within 500 ms|timeout|timed out/i,
          );
          proxy.set('forward');
          const back = await api.get('/api/v1/checks');
          assert.deepEqual([back.status, back.body.history], [200, 'available'], 'recovers once the store answers');
        } finally {
          await api.close();
          proxy.set('refuse'); // cuts what hangs, so the pool can end
          await store.close();
          await proxy.close();
        }
      });
    }
  });
});
