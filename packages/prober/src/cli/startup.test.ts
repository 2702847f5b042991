// Which V8 flags a command's start-up sets and undoes (startup.ts): the user's own flags win,
// a short command keeps only the small young generation, a long-lived one gets every default back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beginStartup } from './startup.js';

/** Runs begin, then each end, recording the flags set at each step. */
function flags(options: string, ends: ('short' | 'long')[], lifetime: 'short' | 'unknown' = 'unknown'): string[][] {
  const steps: string[][] = [[]];
  const startup = beginStartup(options, (flag) => steps.at(-1)?.push(flag), lifetime);
  for (const life of ends) {
    steps.push([]);
    startup.end(life);
  }
  return steps;
}

const YOUNG = '--semi-space-growth-factor=1';
const COMPILERS = ['--no-turbofan', '--no-sparkplug'];
const SIZE = '--optimize-for-size';
const BEGIN = [YOUNG, ...COMPILERS, SIZE];
const LOADED = ['--turbofan', '--sparkplug', '--no-optimize-for-size'];

describe('start-up V8 flags', () => {
  it('a short command: all set while loading; the compilers and GC pacing back, the young generation kept small', () => {
    assert.deepEqual(flags('', ['short']), [BEGIN, LOADED]);
  });

  it('a long-lived command (run): every default back', () => {
    assert.deepEqual(flags('', ['long']), [BEGIN, ['--semi-space-growth-factor=2', ...LOADED]]);
  });

  it('ends once: a second end undoes only what is left', () => {
    assert.deepEqual(flags('', ['short', 'short', 'long']), [BEGIN, LOADED, [], ['--semi-space-growth-factor=2']]);
  });

  it('check, known to be short-lived: WebAssembly by the baseline compiler from the start, never undone', () => {
    assert.deepEqual(flags('', ['short'], 'short'), [[...BEGIN, '--liftoff-only'], LOADED]);
    assert.deepEqual(flags('--no-liftoff', ['short'], 'short'), [BEGIN, LOADED]);
  });

  it('again: the flags of the beginning, for the build to save the code cache under', () => {
    const steps: string[][] = [];
    const startup = beginStartup('--optimize-for-size', (flag) => steps.at(-1)?.push(flag), 'short');
    steps.push([]);
    startup.end('short');
    steps.push([]);
    startup.again();
    assert.deepEqual(steps, [
      ['--turbofan', '--sparkplug'],
      [YOUNG, ...COMPILERS, '--liftoff-only'],
    ]);
  });

  const cases: [string, string, string[], string[]][] = [
    ['the young generation sized by the user', '--max-semi-space-size=4', [...COMPILERS, SIZE], LOADED],
    ['--jitless: no compiler turned on or off', '--jitless', [YOUNG, SIZE], ['--no-optimize-for-size']],
    ['--no-opt', '--no-opt --stack-size=2000', [YOUNG, SIZE], ['--no-optimize-for-size']],
    ['--optimize_for_size', '--optimize_for_size', [YOUNG, ...COMPILERS], ['--turbofan', '--sparkplug']],
  ];
  for (const [name, options, begin, loaded] of cases) {
    it(`the user's flags win: ${name}`, () => {
      assert.deepEqual(flags(options, ['short']), [begin, loaded]);
    });
  }
});
