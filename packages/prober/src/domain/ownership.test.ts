import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hash53, unitHash } from './hash.js';
import { assignChecks, ownerOf } from './ownership.js';
import { gridAnchor, slotJitter } from './slots.js';

const checks = Array.from({ length: 3000 }, (_, i) => `check-${i}`);

describe('hash53', () => {
  it('is stable across releases (members of different versions must agree)', () => {
    assert.equal(hash53('a'), 7929297801672961);
    assert.equal(hash53('lifeline-monitor-0\u0000api'), hash53('lifeline-monitor-0\u0000api'));
    assert.notEqual(hash53('a', 1), hash53('a'));
  });
  it('spreads evenly', () => {
    const buckets = new Array(10).fill(0);
    for (const c of checks) buckets[Math.floor(unitHash(c) * 10)] += 1;
    for (const n of buckets) assert.ok(n > 240 && n < 360, `bucket of ${n} of 3000`);
  });
});

describe('ownerOf (rendezvous hashing)', () => {
  const members = ['m-a', 'm-b', 'm-c'];

  it('has no owner without members and one owner with one', () => {
    assert.equal(ownerOf('api', []), undefined);
    assert.equal(ownerOf('api', ['only']), 'only');
  });

  it('does not depend on the order of the member list', () => {
    for (const c of checks.slice(0, 200)) {
      assert.equal(ownerOf(c, members), ownerOf(c, [...members].reverse()));
      assert.equal(ownerOf(c, members), ownerOf(c, ['m-b', 'm-a', 'm-c']));
    }
  });

  it('shares the checks within 10% of an even split', () => {
    const shares = assignChecks(checks, members);
    for (const member of members) {
      const n = shares.get(member)?.length ?? 0;
      assert.ok(Math.abs(n - 1000) < 100, `${member} owns ${n} of 3000`);
    }
  });

  it('moves only the leaving member’s checks when one leaves', () => {
    const before = assignChecks(checks, members);
    for (const c of checks) {
      const was = ownerOf(c, members) as string;
      const now = ownerOf(c, ['m-a', 'm-c']) as string;
      if (was !== 'm-b') assert.equal(now, was, `${c} moved from ${was} to ${now}`);
    }
    assert.equal(before.get('m-b')?.length !== 0, true);
  });

  it('moves about 1/N of the checks, all to the joining member, when one joins', () => {
    let moved = 0;
    for (const c of checks) {
      const was = ownerOf(c, members);
      const now = ownerOf(c, [...members, 'm-d']);
      if (now !== was) {
        moved += 1;
        assert.equal(now, 'm-d');
      }
    }
    assert.ok(moved > 650 && moved < 850, `${moved} of 3000 moved (expected ~750)`);
  });

  it('lists every member, even one that owns nothing', () => {
    const shares = assignChecks(['one'], members);
    assert.deepEqual([...shares.keys()].sort(), members);
    assert.equal([...shares.values()].flat().length, 1);
  });
});

describe('run slots', () => {
  it('puts every check’s grid at a fixed offset inside its interval', () => {
    for (const c of checks.slice(0, 500)) {
      const anchor = gridAnchor(c, 60_000);
      assert.ok(anchor >= 0 && anchor < 60_000);
      assert.equal(anchor, gridAnchor(c, 60_000));
    }
    assert.equal(gridAnchor('x', 0), 0);
  });

  it('spreads the checks of one interval over it', () => {
    const seconds = new Set(checks.map((c) => Math.floor(gridAnchor(c, 60_000) / 1000)));
    assert.equal(seconds.size, 60);
  });

  it('gives the same jitter for the same check and planned time, within bounds', () => {
    assert.equal(slotJitter('api', 1_000, 0), 0);
    const values = new Set<number>();
    for (let planned = 0; planned < 100_000; planned += 1000) {
      const j = slotJitter('api', planned, 5_000);
      assert.ok(j >= 0 && j < 5_000);
      assert.equal(j, slotJitter('api', planned, 5_000));
      values.add(j);
    }
    assert.ok(values.size > 50, 'the jitter varies from run to run');
  });
});
