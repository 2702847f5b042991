import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from '../bundled/yaml.js';
import { fastCounts, fastParse } from './fast-yaml.js';
import { type PrescanCounts, prescan } from './yaml-limits.js';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

/** What yaml makes of the text (as the loader reads it), or 'error'. */
function yamlValue(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) return 'error';
  // A duplicate key is a problem the loader reports: the fast path must leave it to yaml.
  let duplicate = false;
  const walk = (node: unknown) => {
    const items = (node as { items?: unknown[] } | null)?.items;
    if (!Array.isArray(items)) return;
    const seen = new Set<unknown>();
    for (const item of items) {
      const pair = item as { key?: { value?: unknown }; value?: unknown };
      if (pair && 'key' in pair) {
        if (seen.has(pair.key?.value)) duplicate = true;
        seen.add(pair.key?.value);
        walk(pair.value);
      } else walk(item);
    }
  };
  walk(doc.contents);
  return duplicate ? 'duplicate' : doc.toJS({ maxAliasCount: 100 });
}

function lexerCounts(text: string): PrescanCounts | string {
  const counts: PrescanCounts = { tokens: 0, nodes: 0, names: 0, conditions: 0 };
  return prescan(text, counts) ?? counts;
}

/** Where the fast path reads a text, it agrees with yaml on the value and with prescan on the counts. */
function assertAgrees(text: string, label: string): boolean {
  const fast = fastParse(text);
  const counts = fastCounts(text);
  if (fast !== undefined) {
    assert.ok(isDeepStrictEqual(fast, yamlValue(text)), `${label}: the value differs from yaml's\n${text}`);
    assert.ok(counts, `${label}: read but not counted`);
  }
  if (counts !== undefined && fast !== undefined) {
    assert.deepEqual(counts, lexerCounts(text), `${label}: the counts differ from prescan's\n${text}`);
  }
  return fast !== undefined;
}

/** The shape the benches use, `n` checks. */
function benchConfig(n: number): string {
  const lines = ['storage: none', 'server:', '  port: 0', 'checks:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  - name: svc-${i}`, `    url: http://127.0.0.1:9/h?svc=svc-${i}`, '    every: 60s');
    lines.push('    conditions:', '      - "[STATUS] == 200"', "      - '[RESPONSE_TIME] < 1000'");
  }
  return `${lines.join('\n')}\n`;
}

/** A small PRNG, so a failing mutation can be found again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the fast YAML path', () => {
  it('reads the bench configs and the examples written in plain block YAML, as yaml does', () => {
    assert.ok(assertAgrees(benchConfig(200), 'bench'), 'the bench shape takes the fast path');
    let read = 0;
    for (const name of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'))) {
      if (assertAgrees(readFileSync(join(EXAMPLES, name), 'utf8'), name)) read++;
    }
    assert.ok(read >= 2, 'local.yaml and kubernetes.yaml take the fast path');
  });

  it('reads scalars by the core schema of YAML 1.2, or leaves them to yaml', () => {
    const cases: [string, boolean][] = [
      ['a: 60s\nb: 200\nc: true\nd: False\ne: ~\nf: null\ng:\nh: 007\ni: x y  # c\nj: "q # r"\n', true],
      ['a: \'single\'\nb: "[STATUS] == 200"\nc: http://x:1/a#frag\nd: a:b\ne: a[0]\nf: -\n', false],
      ['a: 0x1f\n', false],
      ['a: 0o17\n', false],
      ['a: 1e3\n', false],
      ['a: -1\n', false],
      ['a: .inf\n', false],
      ['a: 1.5\n', false],
      ['a: 1234567890123456789\n', false],
      ["a: 'it''s'\n", false],
      ['a: "x\\ny"\n', false],
      ['a: b: c\n', false],
      ['a: b:\n', false],
      ['a: "x" y\n', false],
      ['a: "x"#y\n', false],
      ['a: b #c\nd: e#f\n', true],
      ['a:\n- 1\n- 2\nb: 3\n', true],
      ['a:\n  - 1\n b: 2\n', false],
      ['a:\n  b: 1\n   c: 2\n', false],
      ['a: some\n  continued\n', false],
      ['---\na: 1\n', false],
      ['a: 1\n...\n', false],
      ['%YAML 1.2\n---\na: 1\n', false],
      ['a: 1\na: 2\n', false],
      ['a: &x 1\nb: *x\n', false],
      ['a: [1, 2]\n', false],
      ['a: {b: 1}\n', false],
      ['a: |\n  x\n', false],
      ['a: !!str 1\n', false],
      ['a:\tb\n', false],
      ['a: b\r\n', false],
      ['true: 1\n', false],
      ['null: 1\n', false],
      ['__proto__: 1\n', false],
      ['"a": 1\n', false],
      ['- a\n', false],
      ['# only a comment\n', false],
      ['', false],
      ['a: 1  \n', false],
      ['a:\n  -\n    b: 1\n  - - 2\n', false],
      ['a:\n  -\n    b: 1\n  -\n  - c\n', true],
      ['a:\n  - b: 1\n    c:\n    - d\n    e: 2\n', true],
      ['a:\n  -   b: 1\n      c: 2\n', true],
      ['a:\n  -   b: 1\n    c: 2\n', false],
      ['k.io/name: x\nX-Api-Key: y\n', true],
      ['a: b\n  # indented comment\n\nc: d', true],
    ];
    for (const [text, expected] of cases) {
      const read = assertAgrees(text, JSON.stringify(text));
      if (expected) assert.ok(read, `expected the fast path to read ${JSON.stringify(text)}`);
    }
  });

  it('leaves every hostile document to yaml', () => {
    const laughs = `a: &a ["lol","lol"]\nb: &b [*a,*a]\nchecks: [*b]\n`;
    let deep = '';
    for (let i = 0; i < 80; i++) deep += `${' '.repeat(i * 2)}k${i}:\n`;
    const hostile = [
      laughs,
      `checks: ${'['.repeat(1_000)}`,
      `${deep}${' '.repeat(160)}v: 1\n`,
      `checks: [${Array(1_000).fill('1').join(',')}]\n`,
      `${Array.from({ length: 1_000 }, (_, i) => `k${i % 10}: v`).join('\n')}\n`,
      `a: "${'x'.repeat(10_000)}\n`,
      'a: \u2028b\n',
      '\ufeffa: 1\n',
    ];
    for (const text of hostile) {
      assert.equal(fastParse(text), undefined, text.slice(0, 80));
      assertAgrees(text, text.slice(0, 80));
    }
  });

  it('agrees with yaml on 1,500 mutations of a config, wherever it reads one', () => {
    const base = `${readFileSync(join(EXAMPLES, 'local.yaml'), 'utf8')}extra:\n${benchConfig(3).split('checks:\n')[1]}`;
    assert.ok(assertAgrees(base, 'base'), 'the document mutated is read');
    const snippets = [
      ' ',
      '  ',
      '\n',
      '-',
      '- ',
      ':',
      ': ',
      '#',
      ' #',
      '"',
      "'",
      '[',
      '{',
      '&a ',
      '*a',
      '!',
      '|',
      '>',
      '?',
      ',',
      '0x',
      '1',
      '.5',
      'e3',
      '~',
      'null',
      'true',
      'a',
      'name',
      '\t',
      '%',
      '---',
      '\\',
      '@',
      '`',
      '\n  ',
      '\n- ',
    ];
    const next = random(14);
    let read = 0;
    for (let round = 0; round < 1_500; round++) {
      let text = base;
      for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
        const at = Math.floor(next() * text.length);
        if (next() < 0.3) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 3));
        else text = text.slice(0, at) + snippets[Math.floor(next() * snippets.length)] + text.slice(at);
      }
      if (assertAgrees(text, `mutation ${round}`)) read++;
    }
    // Most mutations keep a readable document: the comparison is not only of refusals.
    assert.ok(read > 250, `only ${read} mutations were read by the fast path`);
  });
});
