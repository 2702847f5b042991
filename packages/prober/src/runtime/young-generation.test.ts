import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { capYoungGeneration } from './young-generation.js';

const MiB = 1024 * 1024;

/** A fake V8: the young generation's size and the flags set. */
function fake(options = '') {
  const flags: string[] = [];
  let bytes = 2 * MiB;
  let collected: () => void = () => {};
  let observing = false;
  const stop = capYoungGeneration(2, {
    options,
    set: (flag) => flags.push(flag),
    youngBytes: () => bytes,
    observe: (onCollection) => {
      observing = true;
      collected = onCollection;
      return () => {
        observing = false;
      };
    },
  });
  return {
    flags,
    stop,
    observing: () => observing,
    collect(newBytes: number) {
      bytes = newBytes;
      collected();
    },
  };
}

describe('capYoungGeneration', () => {
  it('lets the young generation double up to the cap, holds it there, and lets it grow back after a shrink', () => {
    const v8 = fake();
    assert.deepEqual(v8.flags, ['--semi-space-growth-factor=2']);
    v8.collect(2 * MiB);
    assert.equal(v8.flags.length, 1, 'no flag set again while nothing changes');
    v8.collect(4 * MiB);
    assert.deepEqual(v8.flags.slice(1), ['--semi-space-growth-factor=1']);
    v8.collect(4 * MiB);
    assert.equal(v8.flags.length, 2);
    v8.collect(1 * MiB);
    assert.deepEqual(v8.flags.slice(2), ['--semi-space-growth-factor=2']);
    v8.collect(4 * MiB);
    v8.stop();
    assert.equal(v8.observing(), false);
    assert.deepEqual(v8.flags.slice(3), ['--semi-space-growth-factor=1', '--semi-space-growth-factor=2']);
  });

  it("leaves V8 alone when the user sets the semi-space's size", () => {
    for (const options of ['--max-semi-space-size=8', '--semi_space_growth_factor=4', '--min-semi-space-size=4']) {
      const v8 = fake(options);
      v8.collect(64 * MiB);
      v8.stop();
      assert.deepEqual(v8.flags, [], options);
      assert.equal(v8.observing(), false, options);
    }
  });

  // The real V8, in a process of its own: objects that survive a scavenge make it grow the young
  // generation, to 16 MiB per semi-space by default.
  const script = (cap: boolean) => `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { PerformanceObserver } from 'node:perf_hooks';
    ${cap ? `const { capYoungGeneration } = await import(${JSON.stringify(new URL('./young-generation.ts', import.meta.url).href)}); capYoungGeneration(1);` : ''}
    let max = 0;
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    new PerformanceObserver(() => { max = Math.max(max, young()); }).observe({ entryTypes: ['gc'] });
    const kept = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100_000; i++) {
        const o = { i, s: 'x' + i, a: [i, round] };
        if (i % 4 === 0) kept.push(o);
      }
      if (kept.length > 200_000) kept.splice(0, 100_000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    console.log(JSON.stringify({ max: Math.max(max, young()) }));
  `;
  const run = async (cap: boolean) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script(cap)],
      { timeout: 60_000 },
    );
    return (JSON.parse(stdout) as { max: number }).max;
  };

  it('holds the real young generation near the cap where V8 alone grows it past', async () => {
    const [alone, capped] = await Promise.all([run(false), run(true)]);
    assert.ok(alone > 8 * MiB, `V8 alone grew it to ${alone / MiB} MiB`);
    // 1 MiB per semi-space: 2 MiB, one doubling past it at most.
    assert.ok(capped <= 4 * MiB, `capped at 1 MiB per semi-space, it reached ${capped / MiB} MiB`);
  });
});
