import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  ConfigError,
  loadConfigFile,
  MAX_CONFIG_BYTES,
  MAX_REPORTED_PROBLEMS,
  MAX_YAML_VALUES,
  parseConfig,
} from './load.js';

/** Parses and returns the ConfigError; fails on success or on any other exception. */
function refused(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(text, { file: 'hostile.yaml', env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${(error as Error)?.stack ?? error}`);
    return error;
  }
  assert.fail('the config was accepted');
}

const LAUGHS = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
checks: [*g]
`;

/** Many aliases of one small anchor: no nesting, just count. */
const ALIASES = `x: &x {name: a, url: "http://a/", every: 1s}\nchecks: [${Array(5_000).fill('*x').join(', ')}]\n`;

const dir = mkdtempSync(join(tmpdir(), 'lifeline-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the config loader on hostile input', () => {
  it('refuses a billion-laughs document with one located problem', () => {
    const error = refused(LAUGHS);
    assert.equal(error.problems.length, 1);
    const [p] = error.problems;
    assert.equal(p?.line, 2, 'at the first alias');
    assert.match(p?.message ?? '', /too many alias references/);
  });

  it('refuses an alias flood', () => {
    assert.match(refused(ALIASES).problems[0]?.message ?? '', /too many alias references/);
  });

  it('refuses a document nested too deeply, in flow or block style', () => {
    const flow = refused(`checks: ${'['.repeat(100_000)}`);
    assert.ok(flow.problems.some((p) => /nested deeper than 64 levels/.test(p.message)));
    let block = '';
    for (let i = 0; i < 80; i++) block += `${' '.repeat(i * 2)}k${i}:\n`;
    const deep = refused(`${block}${' '.repeat(160)}v: 1\n`);
    assert.match(deep.problems[0]?.message ?? '', /nested deeper than 64 levels/);
    assert.ok((deep.problems[0]?.line ?? 0) > 0, 'located');
  });

  it('reports 110,000 problems as the first 50 and a count, without overflowing the stack', () => {
    const error = refused(`checks: [${Array(110_000).fill('1').join(',')}]\n`);
    assert.equal(error.problems.length, MAX_REPORTED_PROBLEMS);
    assert.equal(error.total, 110_000);
    assert.equal(error.more, 110_000 - MAX_REPORTED_PROBLEMS);
    assert.equal(error.lines().at(-1), `... and ${110_000 - MAX_REPORTED_PROBLEMS} more problems`);
    assert.match(error.message, /\.\.\. and 109950 more$/);
  });

  it('refuses more YAML values than MAX_YAML_VALUES before building the document (its memory)', () => {
    const error = refused(
      `checks: [${Array(MAX_YAML_VALUES + 1)
        .fill('1')
        .join(',')}]\n`,
    );
    assert.equal(error.problems.length, 1);
    assert.match(error.problems[0]?.message ?? '', new RegExp(`^the config has more than ${MAX_YAML_VALUES} values`));
  });

  it('refuses a file over the size limit before reading it, naming the size and the limit', () => {
    const file = join(dir, 'big.yaml');
    const lines = Math.ceil(MAX_CONFIG_BYTES / 12) + 1;
    writeFileSync(file, `checks:\n${'  # padding\n'.repeat(lines)}`);
    assert.throws(
      () => loadConfigFile(file, {}),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 1);
        assert.match(
          error.problems[0]?.message ?? '',
          new RegExp(`the config is ${8 + lines * 12} bytes, over the limit of ${MAX_CONFIG_BYTES} bytes`),
        );
        return true;
      },
    );
    assert.match(
      refused('#'.repeat(MAX_CONFIG_BYTES + 1)).problems[0]?.message ?? '',
      new RegExp(`over the limit of ${MAX_CONFIG_BYTES} `),
    );
  });

  it('reads a directory or a device as a config problem, not a crash', () => {
    for (const path of [dir, '/dev/zero']) {
      assert.throws(
        () => loadConfigFile(path, {}),
        (error: unknown) => error instanceof ConfigError && error.problems.length === 1,
        path,
      );
    }
  });

  it('reports a bad percent-escape in a dns URL as a located problem', () => {
    const error = refused('checks:\n  - name: d\n    url: dns:///%ZZ\n    every: 10s\n');
    assert.equal(error.problems.length, 1);
    assert.equal(error.problems[0]?.line, 3);
    assert.match(error.problems[0]?.message ?? '', /bad percent-escape/);
  });

  it('prints each distinct problem once', () => {
    // yaml reports this unclosed 60-deep flow list as 60 errors, only 3 of them distinct.
    const error = refused(`checks: ${'['.repeat(60)}${']'.repeat(3)}\n  a: [\n`);
    const lines = error.lines();
    assert.equal(new Set(lines).size, lines.length, lines.join('\n'));
    assert.equal(lines.length, 3, lines.join('\n'));
  });

  // Seeded, so a failure reproduces: mutate the shipped examples and the bombs in every way a hand or a tool might.
  it('fuzz: every mutated document gives a config or a ConfigError with located problems, nothing else', () => {
    const examplesDir = new URL('../../../../examples/', import.meta.url).pathname;
    const seeds = readdirSync(examplesDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(examplesDir, f), 'utf8'))
      .concat([LAUGHS, ALIASES.slice(0, 400)]);
    let state = 0x9e3779b9;
    const random = () => {
      // mulberry32
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const TOKENS = [
      '[',
      ']',
      '{',
      '}',
      ':',
      ': ',
      '- ',
      '&a ',
      '*a',
      '!!binary ',
      '!!js/function ',
      '|',
      '>',
      '#',
      "'",
      '"',
      '%',
      '@',
      '`',
      '\n',
      '\t',
      '\0',
      '\u2028',
      '\ufeff',
      '${X}',
      '${',
      '$${',
      '%ZZ',
      '?',
      ',',
      '<<: *a',
      '---\n',
      '...\n',
      '25d',
      '-1s',
      '1e999',
      '0x10',
      'null',
      '~',
      'true',
      '\\',
      '\r\n',
      '[STATUS] == 200',
      '[BODY].x == pat(*',
      'dns:///%',
      'https://u:p@h/?token=t',
      'every',
      'timeout',
      'schedule',
      'conditions',
      '99999999999999999999d',
      'é',
      '🙂',
    ];
    const mutate = (text: string): string => {
      let out = text;
      const n = 1 + Math.floor(random() * 6);
      for (let i = 0; i < n; i++) {
        const at = Math.floor(random() * (out.length + 1));
        const len = Math.floor(random() * 40);
        switch (Math.floor(random() * 6)) {
          case 0:
            out = out.slice(0, at) + out.slice(at + len);
            break;
          case 1:
            out = out.slice(0, at) + pick(TOKENS) + out.slice(at);
            break;
          case 2:
            out = out.slice(0, at) + out.slice(at, at + len).repeat(1 + Math.floor(random() * 5)) + out.slice(at);
            break;
          case 3: {
            const lines = out.split('\n');
            const a = Math.floor(random() * lines.length);
            const b = Math.floor(random() * lines.length);
            [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
            out = lines.join('\n');
            break;
          }
          case 4:
            out = out.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x3000)) + out.slice(at + 1);
            break;
          default:
            out = out.slice(0, at) + ' '.repeat(len % 9) + out.slice(at);
        }
      }
      return out;
    };
    let accepted = 0;
    let refusedCount = 0;
    for (let i = 0; i < 3_000; i++) {
      const text = mutate(pick(seeds));
      try {
        const config = parseConfig(text, { file: 'fuzz.yaml', env: { X: 'x', LIFELINE_STORAGE: 'none' } });
        assert.ok(config.checks.length > 0);
        accepted += 1;
      } catch (error) {
        if (!(error instanceof ConfigError)) {
          assert.fail(`document ${i} threw ${(error as Error)?.stack ?? error}\n---\n${JSON.stringify(text)}`);
        }
        assert.ok(error.problems.length > 0, `document ${i}: a ConfigError with no problem`);
        for (const p of error.problems) {
          assert.equal(p.file, 'fuzz.yaml');
          assert.ok(p.message.length > 0);
          // The last-resort guard turns an unforeseen exception into a problem: it must not be what answered.
          assert.doesNotMatch(p.message, /^cannot read the config/, `document ${i}: ${JSON.stringify(text)}`);
        }
        refusedCount += 1;
      }
    }
    assert.ok(accepted > 0 && refusedCount > 0, `${accepted} accepted, ${refusedCount} refused`);
  });
});
