import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CheckSpec, createRunner } from './runner.js';

const spec = (name: string, run: CheckSpec['run'], extra: Partial<CheckSpec> = {}): CheckSpec => ({
  name,
  run,
  critical: true,
  timeoutMs: 200,
  componentType: 'component',
  liveness: false,
  ...extra,
});

describe('createRunner', () => {
  it('turns every kind of misbehaviour into fail with an output, never a throw or a hang', async () => {
    const runner = createRunner({
      ttlMs: 60_000,
      checks: [
        spec('throws', () => {
          throw new Error('sync boom');
        }),
        spec('rejects', async () => Promise.reject(new Error('async boom'))),
        spec('rejects-non-error', async () => Promise.reject('just a string')),
        spec('hangs', () => new Promise(() => {})),
        spec('garbage-number', () => 42),
        spec('garbage-status', () => ({ status: 'great' })),
        spec('garbage-value', () => ({ observedValue: { deep: true } })),
        spec('false', () => false),
        spec('passes', () => undefined),
        spec('warns', () => ({ status: 'warn', output: 'slow replica' })),
      ],
    });
    const names = [
      'throws',
      'rejects',
      'rejects-non-error',
      'hangs',
      'garbage-number',
      'garbage-status',
      'garbage-value',
      'false',
      'passes',
      'warns',
    ];
    const outcomes = await runner.outcomes(names);
    runner.stop();
    const by = Object.fromEntries(outcomes.map((o) => [o.name, o]));
    assert.deepEqual(
      names.map((n) => [n, by[n]?.status, by[n]?.output]),
      [
        ['throws', 'fail', 'sync boom'],
        ['rejects', 'fail', 'async boom'],
        ['rejects-non-error', 'fail', 'the check threw "just a string"'],
        ['hangs', 'fail', 'timed out after 200ms'],
        ['garbage-number', 'fail', 'the check returned 42, not a result object'],
        ['garbage-status', 'fail', 'the check returned status "great"; expected "pass", "warn" or "fail"'],
        [
          'garbage-value',
          'fail',
          'the check returned observedValue {"deep":true}; expected a number, string or boolean',
        ],
        ['false', 'fail', 'the check returned false'],
        ['passes', 'pass', undefined],
        ['warns', 'warn', 'slow replica'],
      ],
    );
    assert.equal(by.passes?.observedUnit, 'ms');
    assert.equal(typeof by.passes?.observedValue, 'number');
  });

  it('aborts the signal of a check that times out', async () => {
    let signal: AbortSignal | undefined;
    const runner = createRunner({
      ttlMs: 60_000,
      checks: [
        spec('slow', (s) => {
          signal = s;
          return new Promise(() => {});
        }),
      ],
    });
    const [outcome] = await runner.outcomes(['slow']);
    runner.stop();
    assert.equal(outcome?.status, 'fail');
    assert.equal(signal?.aborted, true);
  });

  it('runs checks in parallel: two 150ms checks take one timeout, not two', async () => {
    let concurrent = 0;
    let peak = 0;
    const slow = async () => {
      concurrent += 1;
      peak = Math.max(peak, concurrent);
      await new Promise((r) => setTimeout(r, 150));
      concurrent -= 1;
    };
    const runner = createRunner({
      ttlMs: 60_000,
      checks: [spec('a', slow, { timeoutMs: 1000 }), spec('b', slow, { timeoutMs: 1000 })],
    });
    await runner.outcomes(['a', 'b']);
    runner.stop();
    assert.equal(peak, 2);
  });

  it('1,000 requests within one TTL cost each dependency one call', async () => {
    let calls = 0;
    const runner = createRunner({
      ttlMs: 60_000,
      checks: [
        spec('db', async () => {
          calls += 1;
          await new Promise((r) => setTimeout(r, 5));
        }),
      ],
    });
    await Promise.all(Array.from({ length: 1_000 }, () => runner.outcomes(['db'])));
    for (let i = 0; i < 1_000; i++) assert.ok(runner.cached(['db']));
    runner.stop();
    assert.equal(calls, 1);
    assert.equal(runner.calls.get('db'), 1);
  });

  it('refreshes in the background every TTL, and no more often', async () => {
    let calls = 0;
    const runner = createRunner({
      ttlMs: 50,
      checks: [
        spec('db', () => {
          calls += 1;
        }),
      ],
    });
    const started = Date.now();
    runner.start();
    while (calls < 4) await new Promise((r) => setTimeout(r, 10));
    runner.stop();
    const elapsed = Date.now() - started;
    // One run at start, then at most one per TTL that has passed.
    assert.ok(calls <= Math.floor(elapsed / 50) + 1, `${calls} calls in ${elapsed}ms`);
    const after = calls;
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(calls, after, 'stop() ends the refresh');
  });

  it('never runs the same check twice at once', async () => {
    let running = 0;
    let overlap = false;
    const runner = createRunner({
      ttlMs: 20,
      checks: [
        spec(
          'slow',
          async () => {
            running += 1;
            if (running > 1) overlap = true;
            await new Promise((r) => setTimeout(r, 90));
            running -= 1;
          },
          { timeoutMs: 1000 },
        ),
      ],
    });
    runner.start();
    await new Promise((r) => setTimeout(r, 250));
    runner.stop();
    assert.equal(overlap, false);
  });
});
