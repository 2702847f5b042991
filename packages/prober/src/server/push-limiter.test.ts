import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPushLimiter, PUSH_BURST } from './push-limiter.js';

describe('push limiter', () => {
  it('keeps a bucket per configured name; a new config drops the buckets of names it no longer has', () => {
    const now = 1_000_000;
    const limiter = createPushLimiter(() => now);
    const first = new Set(['a', 'b', 'c']);
    for (const name of first) assert.deepEqual(limiter.take(name, first), { ok: true });
    assert.equal(limiter.size(), 3);
    for (let i = 1; i < PUSH_BURST; i++) assert.deepEqual(limiter.take('a', first), { ok: true });
    assert.equal(limiter.take('a', first).ok, false, 'the same set: the bucket of a is kept and empty');

    const reloaded = new Set(['a', 'd']);
    assert.deepEqual(limiter.take('d', reloaded), { ok: true });
    assert.equal(limiter.size(), 2, 'b and c are gone');
    assert.equal(limiter.take('a', reloaded).ok, false, 'a is still configured: its bucket stays');
    assert.deepEqual(limiter.take('x', reloaded), { ok: true });
    assert.equal(limiter.size(), 2, 'an unconfigured name makes no entry');
  });
});
