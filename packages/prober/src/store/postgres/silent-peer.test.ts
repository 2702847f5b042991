// Issue #9, defect 2: a PostgreSQL peer that goes silent (no RST) must turn
// into failed writes within a bound, a bounded queue, retries with backoff, a
// bounded close() and recovery once the network is back; never a hang. The
// database is the real one, behind a TCP proxy this test owns.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { serviceMissing } from '../../../../../test/support/services.js';
import { parseConfig } from '../../config/load.js';
import type { CheckResult } from '../../domain/result.js';
import { startMonitor } from '../../main.js';
import { bounded } from '../../testing/faults.js';
import { captureLogger } from '../../testing/log.js';
import { startTcpProxy, type TcpProxy } from '../../testing/tcp-proxy.js';
import { createBatchWriter, type StoreWriteState } from '../batch.js';
import type { Store } from '../store.js';
import { createPostgresStore } from './postgres-store.js';

const PG_URL = process.env.LIFELINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const T0 = Date.parse('2026-05-01T08:00:00.000Z');
let seq = 0;
const result = (): CheckResult => ({
  time: new Date(T0 + seq++).toISOString(),
  check: 'silent',
  url: 'http://silent:3000/healthcheck',
  status: 200,
  ok: true,
  durationMs: 1,
  phases: { dns: 0, connect: 0, tls: 0, ttfb: 1, transfer: 0, total: 1 },
});

describe('PostgreSQL store behind a silent or resetting peer (issue #9, defect 2)', async () => {
  const skip = await serviceMissing('PostgreSQL', '127.0.0.1', 5432);
  const schema = `lifeline_silent_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let proxy: TcpProxy;
  let store: Store;
  let admin: pg.Client;
  let attempts = 0;
  let counted: Store;
  const stored = async () =>
    Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.lifeline_results`)).rows[0].n);

  before(async () => {
    if (skip) return;
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    proxy = await startTcpProxy(5432);
    store = createPostgresStore({
      url: `postgres://postgres@127.0.0.1:${proxy.port}/test`,
      schema,
      connectTimeoutMs: 500,
      queryTimeoutMs: 500,
      closeTimeoutMs: 500,
      keepAliveDelayMs: 1_000,
    });
    await store.migrate();
    // The real store, with its write attempts counted.
    counted = {
      ...store,
      write: (results) => {
        attempts++;
        return store.write(results);
      },
    };
  });
  after(async () => {
    if (skip) return;
    try {
      await store?.close();
      await proxy?.close();
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('fails writes within the bound, keeps the queue bounded during a stalled write, backs off, and writes what waits once the peer answers', {
    skip,
  }, async () => {
    let clock = 0;
    let dropped = 0;
    const states: StoreWriteState[] = [];
    const writer = createBatchWriter(counted, {
      flushMs: 3_600_000, // the test drives every flush
      maxBatch: 10,
      maxPending: 50,
      retryMinMs: 1_000,
      now: () => clock,
      onDrop: (n) => {
        dropped += n;
      },
      onStateChange: (state) => states.push(state),
    });
    try {
      for (let i = 0; i < 5; i++) writer.add(result());
      await writer.flush();
      assert.equal(await stored(), 5);

      proxy.mode('silent');
      for (let i = 0; i < 10; i++) writer.add(result());
      const stalled = writer.flush();
      // The write is in flight to a peer that never answers: new results must not grow the queue past its bound.
      for (let i = 0; i < 100; i++) {
        writer.add(result());
        assert.ok(writer.pending <= 50, `pending ${writer.pending} > maxPending while a write is in flight`);
      }
      assert.equal(dropped, 60);
      await bounded(stalled, 15_000, 'a write to a silent peer');
      assert.equal(writer.failing, true);
      assert.equal(states.length, 1);
      assert.equal(states[0]?.failing, true);
      assert.equal(writer.pending, 50);

      // Backoff: flushes (the timer's and a full batch's) before the retry time do not touch the store.
      const before = attempts;
      for (let i = 0; i < 50; i++) await writer.flush();
      writer.add(result());
      await writer.flush();
      assert.equal(attempts, before, 'no write attempt before the backoff has passed');
      assert.equal(dropped, 61);

      // Retry while still silent: a new connection is accepted and never answered (connect timeout).
      clock += 60_000;
      await bounded(writer.flush(), 15_000, 'a retry against a silent peer');
      assert.equal(attempts, before + 1);
      assert.equal(writer.failing, true);
      assert.equal(states.length, 1, 'one state change, not one line per failure');

      // The peer resets (RST) its connections, then forwards again: the next attempt writes everything.
      proxy.reset();
      proxy.mode('forward');
      clock += 120_000;
      await bounded(writer.flush(), 15_000, 'the write after recovery');
      assert.equal(writer.failing, false);
      assert.equal(writer.pending, 0);
      assert.deepEqual(
        states.map((s) => s.failing),
        [true, false],
      );
      // Everything added was stored, except what maxPending dropped and was counted.
      assert.equal(await stored(), 5 + 10 + 100 + 1 - dropped);
    } finally {
      await writer.close();
    }
  });

  it('warns once about a stalled write, returns from close() within its bound, reports the lost results, and destroys every socket', {
    skip,
  }, async () => {
    let slow: (results: number) => void = () => {};
    const stalled = new Promise<number>((resolve) => {
      slow = resolve;
    });
    const writer = createBatchWriter(counted, {
      flushMs: 20,
      slowMs: 100,
      closeTimeoutMs: 1_000,
      onSlow: (_ms, results) => slow(results),
    });
    writer.add(result());
    await writer.flush();
    assert.equal(writer.pending, 0);
    proxy.mode('silent');
    for (let i = 0; i < 3; i++) writer.add(result());
    assert.equal(await bounded(stalled, 15_000, 'the slow-write warning'), 3);
    const report = await bounded(writer.close(), 15_000, 'writer.close() with a silent peer');
    assert.deepEqual(report, { lost: 3, timedOut: true });
    await bounded(store.close(), 15_000, 'store.close() with a silent peer');
    await bounded(proxy.drained(), 15_000, 'every connection to the silent peer closed');
    assert.equal(proxy.open, 0);
  });

  it('stops a monitor whose database went silent within its bound, and logs how many results it lost', {
    skip,
  }, async () => {
    proxy.mode('forward');
    const target = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const { port } = target.address() as net.AddressInfo;
    const url = `postgres://postgres@127.0.0.1:${proxy.port}/test?options=-c%20search_path%3D${schema}`;
    const { logger, lines } = captureLogger();
    const config = `storage: ${url}\nchecks:\n  - name: monitored\n    url: tcp://127.0.0.1:${port}\n    every: 100ms\n`;
    const monitor = await startMonitor({ config: parseConfig(config, { file: 'pg.yaml', env: {} }), logger, port: 0 });
    let stopped = false;
    const until = async (what: string, fn: () => Promise<boolean>) => {
      const end = Date.now() + 15_000;
      while (!(await fn())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const pending = async () =>
      Number(/^lifeline_store_pending_results (\d+)$/m.exec(await (await fetch(`${monitor.url}/metrics`)).text())?.[1]);
    try {
      const storedBefore = await stored();
      await until('the monitor to store results', async () => (await stored()) > storedBefore);
      proxy.mode('silent');
      await until('results waiting for the silent database', async () => (await pending()) > 0);
      await bounded(monitor.stop(), 30_000, 'monitor.stop() with a silent database');
      stopped = true;
      const lost = lines.find((l) => String(l.msg).includes('not confirmed written to the store before exit'));
      assert.ok(Number(lost?.lost) > 0, 'the lost results are counted in a log line');
      await bounded(proxy.drained(), 15_000, 'every connection of the monitor closed');
    } finally {
      if (!stopped) await monitor.stop();
      await new Promise((resolve) => target.close(resolve));
    }
  });
});
