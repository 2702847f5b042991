import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DurableAlertState } from '../domain/alerts.js';
import type { AlertChange, AlertStore } from '../store/store.js';
import { createAlertWriter, MAX_CHANGES_PER_WRITE } from './alert-writer.js';
import { createMemoryAlertStore } from './memory-store.js';

const T0 = Date.parse('2026-11-27T08:00:00.000Z');

function change(n: number): AlertChange {
  const state: DurableAlertState = {
    check: `c${n}`,
    status: 'failing',
    incident: null,
    notified: null,
    notifiedAt: null,
    reminders: 0,
    updatedAt: T0,
  };
  return { state, incidents: [], notifications: [] };
}

/** A memory store that reports the size of every write, and refuses the writes numbered in `refuse`. */
function countingStore(refuse: readonly number[] = []) {
  const store = createMemoryAlertStore();
  const sizes: number[] = [];
  let calls = 0;
  const counted: AlertStore = {
    ...store,
    async recordAlerts(changes) {
      calls += 1;
      if (refuse.includes(calls)) throw new Error('the store refused');
      sizes.push(changes.length);
      return store.recordAlerts(changes);
    },
  };
  return { store: counted, sizes };
}

/** Resolves once `done()` holds after a commit; bounded. */
function committed(done: () => Promise<boolean>, ms = 5_000) {
  let check: () => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not committed within ${ms} ms`)), ms);
    check = () =>
      void done().then((ok) => {
        if (!ok) return;
        clearTimeout(timer);
        resolve();
      });
  });
  return { promise, onCommitted: () => check() };
}

describe('alert writer', () => {
  it('writes a burst in slices of at most MAX_CHANGES_PER_WRITE changes, letting timers run between them', async () => {
    const { store, sizes } = countingStore();
    const writer = createAlertWriter(store);
    const count = 2 * MAX_CHANGES_PER_WRITE + 50;
    for (let n = 0; n < count; n++) writer.add(change(n));
    let writesBeforeImmediate: number | undefined;
    setImmediate(() => {
      writesBeforeImmediate = sizes.length;
    });
    await writer.flush();
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      count,
    );
    assert.ok(
      sizes.every((size) => size <= MAX_CHANGES_PER_WRITE),
      `slices ${sizes.join(', ')}`,
    );
    assert.equal((await store.alertStates()).size, count);
    assert.ok(
      writesBeforeImmediate !== undefined && writesBeforeImmediate < sizes.length,
      'an immediate queued during the burst ran before its last slice was written',
    );
    assert.equal(await writer.close(1_000), 0);
  });

  it('a slice the store refuses is written again after its backoff, with the rest: nothing is lost', async () => {
    const { store, sizes } = countingStore([2]);
    const count = 3 * MAX_CHANGES_PER_WRITE;
    const done = committed(async () => (await store.alertStates()).size === count);
    const writer = createAlertWriter(store, { retryMinMs: 1, onCommitted: done.onCommitted });
    for (let n = 0; n < count; n++) writer.add(change(n));
    await done.promise;
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      count,
    );
    assert.equal(writer.pending, 0);
    assert.equal(await writer.close(1_000), 0);
  });

  it('close() writes every slice still queued', async () => {
    const { store } = countingStore();
    const writer = createAlertWriter(store);
    const count = 3 * MAX_CHANGES_PER_WRITE + 1;
    for (let n = 0; n < count; n++) writer.add(change(n));
    assert.equal(await writer.close(5_000), 0);
    assert.equal((await store.alertStates()).size, count);
  });
});
