import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckResult } from '../domain/result.js';
import { createSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { createSummaryCache } from './summary-cache.js';

const T0 = Date.parse('2026-05-01T08:00:00.000Z');

const result = (at: number, ok: boolean): CheckResult => ({
  time: new Date(at).toISOString(),
  check: 'api',
  url: 'http://api:3000/',
  status: ok ? 200 : 503,
  ok,
  durationMs: 4,
  phases: { dns: 0, connect: 0, tls: 0, ttfb: 4, transfer: 0, total: 4 },
});

describe('the history summary cache of GET /api/v1/checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-summary-'));
  let store: Store;
  /** summaries() calls the cache made; a pending one can be held back by `gate`. */
  let reads = 0;
  let gate: Promise<void> | undefined;
  let fail = false;
  let counted: Store;
  before(async () => {
    store = createSqliteStore(join(dir, 'db.sqlite'));
    await store.migrate();
    counted = Object.create(store, {
      summaries: {
        value: async (...args: Parameters<Store['summaries']>) => {
          reads++;
          await gate;
          if (fail) throw new Error('the disk is gone');
          return store.summaries(...args);
        },
      },
    }) as Store;
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads once while fresh, answers the old one at once while stale and reads anew, waits when expired', async () => {
    let now = T0 + 60_000;
    await store.write([result(T0, true)]);
    await store.compact(T0 + 60_000);
    const cache = createSummaryCache(counted, { now: () => now, freshMs: 30_000, staleMs: 300_000 });
    reads = 0;
    const first = await cache.get();
    assert.equal(first.day.get('api')?.count, 1);
    const readsPerSummary = reads;
    now += 10_000;
    assert.equal(await cache.get(), first, 'fresh: the same summary, no read');
    assert.equal(reads, readsPerSummary);

    await store.write([result(T0 + 60_000, false)]);
    await store.compact(T0 + 120_000);
    now = T0 + 120_000;
    const stale = await cache.get();
    assert.equal(stale, first, 'stale: the previous summary is answered at once');
    // The read started by that call: the next call after it ends has the new rows.
    await new Promise((resolve) => setImmediate(resolve));
    const refreshed = await cache.get();
    assert.equal(refreshed.day.get('api')?.count, 2);
    assert.equal(refreshed.day.get('api')?.failures, 1);

    now += 301_000;
    await store.write([result(T0 + 120_000, true)]);
    await store.compact(T0 + 180_000);
    const waited = await cache.get();
    assert.equal(waited.day.get('api')?.count, 3, 'expired: the caller waited for a new read');
  });

  it('shares one read among concurrent callers, and does not keep a failed read', async () => {
    const now = T0 + 3_600_000;
    const cache = createSummaryCache(counted, { now: () => now });
    let open: () => void = () => {};
    gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    reads = 0;
    fail = true;
    const waiting = [cache.get(), cache.get(), cache.get()];
    open();
    for (const w of waiting) await assert.rejects(w, /the disk is gone/);
    assert.equal(reads, 1, 'one read (its first summaries() call) for three callers');
    gate = undefined;
    fail = false;
    const summary = await cache.get();
    assert.ok(summary.day.has('api'), 'after a failure the next call reads again');
  });

  it('reads anew after the rollups changed, answering the held summary meanwhile, whatever its age', async () => {
    let now = T0 + 10 * 3_600_000;
    await store.write([result(now - 120_000, true)]);
    await store.compact(now);
    const cache = createSummaryCache(counted, { now: () => now });
    const first = await cache.get();
    const before = first.day.get('api')?.count ?? 0;
    reads = 0;
    now += 1_000;
    assert.equal(await cache.get(), first, 'fresh and unchanged: no read');
    assert.equal(reads, 0);

    await store.write([result(now - 60_000, false)]);
    await store.compact(now);
    cache.changed();
    assert.equal(await cache.get(), first, 'changed: the held summary at once');
    assert.ok(reads > 0, 'and a read started');
    await new Promise((resolve) => setImmediate(resolve));
    const after = await cache.get();
    assert.equal(after.day.get('api')?.count, before + 1);
    const readsAfter = reads;
    assert.equal(await cache.get(), after, 'read once per change');
    assert.equal(reads, readsAfter);
  });
});
