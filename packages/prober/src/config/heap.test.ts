import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fastParse } from './fast-yaml.js';
import {
  checksHeapProblem,
  type HeapRoom,
  heapRoom,
  loadHeapProblem,
  loadNeed,
  maxOldSpaceFlag,
  useNeed,
} from './heap.js';
import { parseConfig } from './load.js';
import { type PrescanCounts, prescan } from './yaml-limits.js';

const MiB = 1024 * 1024;

function counts(text: string) {
  const c: PrescanCounts = { tokens: 0, nodes: 0, names: 0, conditions: 0 };
  assert.equal(prescan(text, c), undefined);
  return { ...c, bytes: Buffer.byteLength(text) };
}

function checks(n: number): string {
  let text = 'storage: none\nchecks:\n';
  for (let i = 0; i < n; i++) {
    text += `  - name: c${i}\n    url: http://svc-${i}.apps.svc.cluster.local:8080/healthz\n    every: 60s\n    conditions:\n      - "[STATUS] == 200"\n      - "[RESPONSE_TIME] < 1000"\n`;
  }
  return text;
}

const room = (limitMiB: number, usedMiB = 10): HeapRoom => ({
  limit: limitMiB * MiB,
  used: usedMiB * MiB,
  source: `--max-old-space-size=${limitMiB}`,
});

describe('the heap a config needs', () => {
  it('reads --max-old-space-size from NODE_OPTIONS and the command line, the command line last', () => {
    assert.equal(maxOldSpaceFlag([], undefined), undefined);
    assert.equal(maxOldSpaceFlag(['--max-old-space-size=128'], undefined), 128);
    assert.equal(maxOldSpaceFlag([], '--enable-source-maps --max_old_space_size=96'), 96);
    assert.equal(maxOldSpaceFlag(['--max-old-space-size=64'], '--max-old-space-size=256'), 64);
    assert.equal(maxOldSpaceFlag(['--max-old-space-size-x=64'], undefined), undefined);
    const here = heapRoom(['--max-old-space-size=300'], undefined);
    assert.equal(here.limit, 300 * MiB);
    assert.ok(here.used > 0 && here.used < here.limit);
  });

  it('counts the checks from the lexer, in block and flow style, before anything is built', () => {
    assert.equal(counts(checks(3)).names, 3);
    assert.equal(counts(checks(3)).conditions, 6);
    assert.equal(counts('checks:\n  - { name: a, url: "tcp://x:1" }\n  - {name: b, url: "tcp://x:1"}\n').names, 2);
    // Two quoted conditions per check are nodes too.
    assert.equal(counts(checks(10)).nodes - counts(checks(9)).nodes, 9);
  });

  it('refuses only what cannot load, and says how many checks fit: that many are not refused', () => {
    const big = counts(checks(2_000));
    // Just enough for the lower bound: not refused (V8 decides); one MiB less: refused.
    const enough = room(Math.ceil(loadNeed(big) / MiB) + 10);
    assert.equal(loadHeapProblem(big, enough, 'load'), undefined);
    const small = room(Math.ceil(loadNeed(big) / MiB) + 10 - 2);
    const problem = loadHeapProblem(big, small, 'load');
    assert.match(
      problem ?? '',
      /^the config has about 2,000 checks \(0\.\d MiB\); loading it needs at least \d+ MiB of heap but this process has \d+ MiB free \(--max-old-space-size=\d+\): about [\d,]+ checks fit\. Raise the limit/,
    );
    const fit = Number(/about ([\d,]+) checks fit/.exec(problem ?? '')?.[1]?.replaceAll(',', ''));
    assert.ok(fit > 1_000 && fit < 2_000, `${fit} checks fit`);
    assert.equal(loadHeapProblem(counts(checks(fit)), small, 'load'), undefined);
    // For run, the checks that fit are also what the monitor has room for.
    const forRun = loadHeapProblem(big, room(Math.ceil(loadNeed(big) / MiB) + 10 - 2), 'run');
    const fitRun = Number(/about ([\d,]+) checks fit/.exec(forRun ?? '')?.[1]?.replaceAll(',', ''));
    assert.ok(fitRun <= fit);
    assert.equal(checksHeapProblem(fitRun, small, 'run'), undefined);
  });

  it('run and check --once also need the checks held: asked with the exact count once resolved', () => {
    assert.equal(checksHeapProblem(1_000_000, room(16), 'load'), undefined);
    const least = useNeed(5_000, 'run');
    assert.equal(checksHeapProblem(5_000, room(Math.ceil(least / MiB) + 10), 'run'), undefined);
    const tight = room(Math.floor(least / MiB) + 10 - 1);
    const problem = checksHeapProblem(5_000, tight, 'run');
    assert.match(problem ?? '', /^the config has 5,000 checks; running them needs at least \d+ MiB/);
    const fit = Number(/about ([\d,]+) checks fit/.exec(problem ?? '')?.[1]?.replaceAll(',', ''));
    assert.ok(fit > 0 && fit < 5_000, `${fit} checks fit`);
    assert.equal(checksHeapProblem(fit, tight, 'run'), undefined, 'as many as it says fit are not refused');
    assert.match(checksHeapProblem(5_000, room(16), 'once') ?? '', /running them all at once/);
  });

  it('judges each path by its own need: the fast path loads where the yaml Document would not fit', () => {
    const block = checks(2_000);
    // The same checks in flow style: only yaml reads them.
    const flow = block.replace(/\n {4}conditions:\n {6}(.*)\n {6}(.*)\n/g, '\n    conditions: [$1, $2]\n');
    assert.notEqual(fastParse(block), undefined);
    assert.equal(fastParse(flow), undefined);
    const fastNeed = Math.ceil(loadNeed(counts(block), 'fast') / MiB);
    assert.ok(fastNeed + 2 < loadNeed(counts(flow)) / MiB, 'the fast path needs less than the yaml Document');
    const refusal = (text: string, heap: HeapRoom) => {
      try {
        parseConfig(text, { file: 'big.yaml', env: {}, heap: { room: heap, use: 'run' } });
      } catch (error) {
        return (error as Error).message;
      }
      return assert.fail('loaded');
    };
    // Under the fast path's own need: refused from its counts (the lexer's), by its own model.
    const small = room(fastNeed + 10 - 2);
    const message = refusal(block, small);
    assert.match(message, /^the config has about 2,000 checks/);
    assert.equal(message, loadHeapProblem(counts(block), small, 'run', 'fast'), 'from the lexer counts');
    // Over it, but under the Document's: the block config loads by the fast path, the flow one is refused.
    const between = room(fastNeed + 10 + 1);
    assert.equal(
      parseConfig(block, { file: 'big.yaml', env: {}, heap: { room: between, use: 'run' } }).checks.length,
      2_000,
    );
    assert.equal(refusal(flow, between), loadHeapProblem(counts(flow), between, 'run', 'full'));
  });
});
