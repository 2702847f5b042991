import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketFor, MAX_BUCKETS, RANGES, rangeOf } from './ranges.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('bucketFor', () => {
  it('picks the finest bucket that keeps each range readable', () => {
    assert.deepEqual(
      RANGES.map((r) => `${r.id}->${bucketFor(r.windowMs).text}`),
      ['1h->1m', '24h->15m', '7d->1h', '30d->6h', '90d->1d'],
    );
  });

  it('stays within the API cap and divides into whole minutes, for any window and target', () => {
    for (const windowMs of [MINUTE, 7 * MINUTE, 6 * 3_600_000, 400 * DAY, 20_000 * DAY, 30_000 * DAY]) {
      for (const target of [1, 50, 200, 10_000, 1e9]) {
        const bucket = bucketFor(windowMs, target);
        assert.ok(windowMs / bucket.ms <= MAX_BUCKETS, `${windowMs}/${target}`);
        assert.equal(bucket.ms % MINUTE, 0);
        assert.match(bucket.text, /^\d+[mhd]$/);
      }
    }
    assert.deepEqual(bucketFor(30_000 * DAY), { ms: 3 * DAY, text: '3d' });
  });

  it('never picks a bucket longer than a short window when a finer one fits', () => {
    assert.equal(bucketFor(MINUTE).text, '1m');
    assert.equal(bucketFor(3 * 3_600_000).text, '1m');
    assert.equal(bucketFor(3 * 3_600_000, 100).text, '5m');
  });
});

describe('rangeOf', () => {
  it('finds a range by id, else 24 hours', () => {
    assert.equal(rangeOf('7d').windowMs, 7 * DAY);
    assert.equal(rangeOf('nope').id, '24h');
    assert.equal(rangeOf(null).id, '24h');
  });
});
