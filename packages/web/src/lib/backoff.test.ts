import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  const at = (random: number) => ({ baseMs: 2000, maxMs: 30_000, random: () => random });

  it('doubles from the base and stops at the cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, at(1))),
      [2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
  });

  it('jitters between half and all of the step, never below half', () => {
    assert.equal(backoffDelay(0, at(0)), 1000);
    assert.equal(backoffDelay(2, at(0.5)), 6000);
    assert.equal(backoffDelay(10, at(0)), 15000);
  });

  it('takes the server retry: as the base, and survives odd inputs', () => {
    assert.equal(backoffDelay(1, { baseMs: 500, maxMs: 30_000, random: () => 1 }), 1000);
    assert.equal(backoffDelay(-3, at(1)), 2000);
    assert.equal(backoffDelay(0, { baseMs: 60_000, maxMs: 30_000, random: () => 1 }), 60_000);
    assert.equal(backoffDelay(1, { baseMs: 0, maxMs: 30_000, random: () => 1 }), 0);
    assert.equal(backoffDelay(0, { baseMs: 2000, maxMs: 30_000, random: () => 7 }), 2000);
  });
});
