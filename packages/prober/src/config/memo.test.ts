import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConditionSyntaxError } from '../domain/conditions.js';
import { parseConfig } from './load.js';
import { conditionOf, durationOf, MAX_ENTRIES, memoize } from './memo.js';

describe('memoized parses', () => {
  it('give every caller of one text the same frozen value', () => {
    const a = conditionOf('[STATUS] == 200');
    assert.equal(conditionOf('[STATUS] == 200'), a);
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.left) && Object.isFrozen(a.right));
    assert.equal(durationOf('1m30s'), 90_000);
    assert.equal(durationOf('soon'), undefined);
  });

  it('throw again for a bad text instead of remembering it', () => {
    assert.throws(() => conditionOf('[STATUS] 200'), ConditionSyntaxError);
    assert.throws(() => conditionOf('[STATUS] 200'), ConditionSyntaxError);
  });

  it('start afresh past MAX_ENTRIES distinct texts', () => {
    let calls = 0;
    const parse = memoize((text) => {
      calls++;
      return { text };
    });
    const first = parse('0');
    for (let i = 1; i < MAX_ENTRIES; i++) parse(String(i));
    assert.equal(parse('0'), first, 'still known at MAX_ENTRIES');
    parse(String(MAX_ENTRIES));
    assert.notEqual(parse('0'), first, 'forgotten once the cache started afresh');
    assert.equal(calls, MAX_ENTRIES + 2);
  });

  it('share conditions and schedules between the checks of a loaded config, each check still frozen', () => {
    const config = parseConfig(
      `checks:\n${['a', 'b']
        .map(
          (name) =>
            `  - name: ${name}\n    url: http://x/${name}\n    every: 30s\n    conditions: ["[STATUS] == 200"]\n`,
        )
        .join('')}`,
      { file: 'memo.yaml', env: {} },
    );
    const [a, b] = config.checks;
    assert.ok(a && b);
    assert.equal(a.conditions[0], b.conditions[0]);
    assert.equal(a.schedule, b.schedule);
    assert.deepEqual(a.schedule, { kind: 'every', intervalMs: 30_000 });
    assert.ok(
      Object.isFrozen(a) && Object.isFrozen(a.headers) && Object.isFrozen(a.labels) && Object.isFrozen(a.secrets),
    );
  });
});
