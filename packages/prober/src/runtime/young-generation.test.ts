import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { holdYoungGeneration, LOAD_UNCAPPED_BYTES } from './young-generation.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'lifeline-young-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('holdYoungGeneration', () => {
  it('holds the young generation at once for a small config, and lets it grow again when released', () => {
    const small = join(dir, 'small.yaml');
    writeFileSync(small, 'checks: []\n');
    const flags: string[] = [];
    const release = holdYoungGeneration({ config: small, options: '', set: (f) => flags.push(f) });
    assert.deepEqual(flags, ['--semi-space-growth-factor=1']);
    release();
    release();
    assert.deepEqual(flags, ['--semi-space-growth-factor=1', '--semi-space-growth-factor=2']);
  });

  it('lets a large config load first: held on the next turn of the event loop', async () => {
    const large = join(dir, 'large.yaml');
    writeFileSync(large, `# ${'x'.repeat(LOAD_UNCAPPED_BYTES)}\n`);
    const flags: string[] = [];
    holdYoungGeneration({ config: large, options: '', set: (f) => flags.push(f) });
    assert.deepEqual(flags, [], 'not while the config loads (synchronously, right after)');
    await nextTurn();
    assert.deepEqual(flags, ['--semi-space-growth-factor=1']);
    // Released before it was held (the load failed): nothing is ever set.
    const none: string[] = [];
    holdYoungGeneration({ config: large, options: '', set: (f) => none.push(f) })();
    await nextTurn();
    assert.deepEqual(none, []);
  });

  it("leaves V8 alone when the user sets the semi-space's size", () => {
    for (const options of ['--max-semi-space-size=8', '--semi_space_growth_factor=4', '--min-semi-space-size=4']) {
      const flags: string[] = [];
      holdYoungGeneration({ options, set: (f) => flags.push(f) })();
      assert.deepEqual(flags, [], options);
    }
  });

  // The real V8, in a process of its own: objects that survive a scavenge make it grow the young
  // generation, to 16 MiB per semi-space by default; held, it stays at its first size.
  const script = (hold: boolean) => `
    import { getHeapSpaceStatistics } from 'node:v8';
    const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    ${hold ? `const { holdYoungGeneration } = await import(${JSON.stringify(new URL('./young-generation.ts', import.meta.url).href)}); holdYoungGeneration({ options: '' });` : ''}
    const before = size();
    const kept = [];
    for (let i = 0; i < 4_000_000; i++) {
      const o = { i, s: 'x' + i, a: [i] };
      if (i % 4 === 0) kept.push(o);
      if (kept.length > 200_000) kept.splice(0, 100_000);
    }
    console.log(JSON.stringify({ before, after: size() }));
  `;
  const young = async (hold: boolean) => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(hold)], {
      timeout: 60_000,
    });
    return JSON.parse(stdout) as { before: number; after: number };
  };

  it('holds the real young generation at its size where V8 alone grows it', async () => {
    const [alone, held] = [await young(false), await young(true)];
    assert.ok(
      alone.after >= 8 * MiB && alone.after > alone.before,
      `V8 alone: ${alone.before / MiB} -> ${alone.after / MiB} MiB`,
    );
    assert.equal(held.after, held.before, `held: ${held.before / MiB} -> ${held.after / MiB} MiB`);
  });
});
