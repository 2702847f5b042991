// Hot reload: what a changed config file does to a running monitor (reload.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from './config/load.js';
import type { ResolvedConfig } from './config/resolved.js';
import { reloadConfig } from './reload.js';

const STORAGE = 'storage: postgres://lifeline@db:5432/lifeline\n';
const CHECKS = 'checks:\n  - name: api\n    url: http://api:3000/healthcheck\n    every: 30s\n';
const text = (cluster: string) => `${STORAGE}cluster:\n  id: ${cluster}\n${CHECKS}`;

/** Reloads `next` over `current`, and returns what was logged and what was applied. */
function reload(current: string, next: string) {
  const lines: { level: number; msg: string; sections?: string[] }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const running = parseConfig(current, { file: 'lifeline.yaml', env: {} });
  const applied: ResolvedConfig[] = [];
  reloadConfig(next, {
    logger,
    env: {},
    current: () => running,
    apply: (config) => {
      applied.push(config);
      return { added: [], removed: [], changed: [] };
    },
  });
  return { lines, applied };
}

describe('reloadConfig', () => {
  it('says a changed cluster section needs a restart, and applies the rest', () => {
    const { lines, applied } = reload(text('a'), text('b'));
    const warning = lines.find((l) => l.level === 40);
    assert.ok(warning, 'a warning is logged');
    assert.deepEqual(warning.sections, ['cluster']);
    assert.match(warning.msg, /cluster changes take effect only after a restart/);
    assert.equal(applied.length, 1, 'the checks are applied');
  });

  it('asks for no restart when only the checks change', () => {
    const { lines, applied } = reload(text('a'), text('a').replace('/healthcheck', '/livez'));
    assert.equal(lines.filter((l) => l.level === 40).length, 0);
    assert.equal(applied.length, 1);
  });

  it('keeps the running config when the new one is invalid', () => {
    const { lines, applied } = reload(text('a'), `${STORAGE}checks:\n  - name: api\n    url: nope\n`);
    assert.equal(applied.length, 0);
    assert.ok(lines.some((l) => l.msg === 'the changed config is invalid; still running the previous one'));
  });
});
