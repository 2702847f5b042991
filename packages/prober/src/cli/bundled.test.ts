// The build bundles zod and yaml into dist/bundled/ (scripts/bundle-deps.mjs, issue 14 goal 1);
// every other test of the config runs the packages themselves (tsx over src/bundled/*.ts). So the
// real executable, over the bundles, must answer exactly as main() over the packages does: the
// same problems with the same lines and messages for bad configs (zod's own messages, unknown keys
// found by walking the schema with instanceof, YAML syntax errors and duplicate keys), and the same
// description of every example config.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type CliRun, runLifeline } from '../testing/cli.js';
import { memoryIo } from '../testing/cli-io.js';
import { main } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-bundled-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const env = { LIFELINE_PORT: '8080' };

/** `lifeline validate` on a file, in-process (zod and yaml as packages) and by the executable (the bundles). */
async function bothWays(file: string): Promise<{ packages: CliRun; bundles: CliRun }> {
  const t = memoryIo({ ...(process.env as Record<string, string>), ...env });
  const code = await main(['validate', '-c', file], t.io);
  const packages = { code, stdout: t.out(), stderr: t.err() };
  const bundles = await runLifeline(['validate', '-c', file], { env });
  return { packages, bundles };
}

/** `next 2026-...Z`: the next run of a cron check, computed from the clock of each run. */
const sameMinute = (run: CliRun) => ({ ...run, stdout: run.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>') });

const BAD: Record<string, string> = {
  'schema.yaml': [
    'server:',
    '  prot: 8080',
    'storage: 42',
    'alerting:',
    '  channels:',
    '    - name: ops',
    '      type: slak',
    '      url: ftp://alerts.example',
    'checks:',
    '  - name: bad name!',
    '    url: 3',
    '    every: 5q',
    '    method: FETCH',
    '    conditions:',
    '      - "[STATUS] === 200"',
    '    alerts: {thresold: 2}',
    '  - name: b',
    '    url: http://b.example/',
    '    schedule: "61 * * * *"',
    '    timezone: Mars/Base',
    '    timeout: 0s',
    'statusPage:',
    '  title: 5',
    '',
  ].join('\n'),
  'syntax.yaml': 'checks:\n  - name: a\n    url: "http://a.example/\n    every: 10s\n',
  'duplicate.yaml': 'checks:\n  - name: a\n    url: http://a.example/\n    url: http://b.example/\n    every: 10s\n',
  'not-a-map.yaml': '- just\n- a list\n',
};

describe('the executable over the bundled zod and yaml', () => {
  for (const [name, text] of Object.entries(BAD)) {
    it(`reports the problems of ${name} as zod and yaml themselves do`, async () => {
      const file = join(dir, name);
      writeFileSync(file, text);
      const { packages, bundles } = await bothWays(file);
      assert.equal(packages.code, 2, packages.stderr);
      assert.notEqual(packages.stderr, '');
      assert.deepEqual(bundles, packages);
    });
  }

  const examples = new URL('../../../../examples/', import.meta.url).pathname;
  for (const name of readdirSync(examples).filter((f) => f.endsWith('.yaml'))) {
    it(`describes examples/${name} as zod and yaml themselves do`, async () => {
      const { packages, bundles } = await bothWays(join(examples, name));
      assert.equal(packages.code, 0, packages.stderr);
      assert.deepEqual(sameMinute(bundles), sameMinute(packages));
    });
  }
});
