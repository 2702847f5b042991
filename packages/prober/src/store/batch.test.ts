import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../domain/result.js';
import { runResult } from '../testing/check.js';
import { createBatchWriter } from './batch.js';
import type { Store, WriteReport } from './store.js';

/** A store whose write works on this thread, as SQLite's does, and records each batch's size. */
function syncStore(sizes: number[], onWrite: () => void = () => {}): Store {
  return {
    write(results: readonly CheckResult[]): Promise<WriteReport> {
      sizes.push(results.length);
      onWrite();
      return Promise.resolve({ written: results.length, duplicates: 0, fenced: 0 });
    },
  } as unknown as Store;
}

describe('createBatchWriter', () => {
  it('writes a backlog in chunks of maxBatch with the event loop turning between them', async () => {
    const sizes: number[] = [];
    // A timer set before the flush: it can fire only when the loop gets a turn between two chunks.
    let chunksBeforeTimer: number | undefined;
    const writer = createBatchWriter(syncStore(sizes), { flushMs: 60_000, maxBatch: 10, maxPending: 1_000 });
    for (let i = 0; i < 9; i++) writer.add(runResult(i * 1_000, true, `c${i}`));
    const timer = new Promise<void>((resolve) =>
      setImmediate(() => {
        chunksBeforeTimer = sizes.length;
        resolve();
      }),
    );
    // 9 pending, then 36 more: the 10th add starts a write of a full batch, the rest wait for flush().
    for (let i = 9; i < 45; i++) writer.add(runResult(i * 1_000, true, `c${i}`));
    await writer.flush();
    await timer;
    assert.deepEqual(sizes, [10, 10, 10, 10, 5], 'every result written once, in chunks of maxBatch');
    assert.ok(
      chunksBeforeTimer !== undefined && chunksBeforeTimer < sizes.length,
      `the timer fired between chunks (${chunksBeforeTimer} of ${sizes.length} written)`,
    );
    assert.equal(writer.pending, 0);
    assert.deepEqual(await writer.close(), { lost: 0, timedOut: false });
  });

  it('close() writes what a write started by add() left, and loses nothing', async () => {
    const sizes: number[] = [];
    const writer = createBatchWriter(syncStore(sizes), { flushMs: 60_000, maxBatch: 4 });
    for (let i = 0; i < 10; i++) writer.add(runResult(i * 1_000, false, `c${i}`));
    const report = await writer.close();
    assert.deepEqual(report, { lost: 0, timedOut: false });
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      10,
    );
  });
});
