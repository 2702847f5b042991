// What `lifeline check --once` loads (issue 14, goal 1): a CronJob runs it every minute in a
// 128Mi pod, so it must not pay for the monitor's store drivers, server or metrics. Asserted on
// the real executable (bin/lifeline.js over dist/): the build runs `check` from one bundled
// file (dist/cli/check-bundle.cjs, src/cli/compiled.ts), so what it loads is what that bundle
// holds (the build's list of its modules) plus every file and Node module the process loaded
// besides (a loader hook, require.cache and process.moduleLoadList).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLifeline } from '../testing/cli.js';

const RECORDER = new URL('../testing/record-modules.mjs', import.meta.url).pathname;
const DIST = new URL('../../dist/', import.meta.url);
const PROBER = new URL('../../', import.meta.url);

/** The modules in dist/cli/check-bundle.cjs, as URLs like the recorder's (scripts/bundle-cli.mjs writes the list). */
function bundled(): string[] {
  const meta = JSON.parse(readFileSync(new URL('cli/check-bundle.meta.json', DIST), 'utf8')) as { inputs: string[] };
  return meta.inputs.map((path) => new URL(path, PROBER).href);
}

/** Modules `check --once` must not load without storage: drivers, server, metrics, health, pretty logs. */
const MONITOR_ONLY: readonly [string, RegExp][] = [
  ['better-sqlite3', /\/node_modules\/better-sqlite3\//],
  ['pg', /\/node_modules\/(pg|pg-pool|pg-protocol)\//],
  ['prom-client', /\/node_modules\/prom-client\//],
  ['pino-pretty', /\/node_modules\/pino-pretty\//],
  ['@lifeline/health', /\/packages\/health\/|\/@lifeline\/health\//],
  ['the store', /\/prober\/dist\/store\//],
  ['the server', /\/prober\/dist\/server\//],
  ['the monitor', /\/prober\/dist\/main\.js$/],
  ['import gatus', /\/prober\/dist\/(import\/|cli\/import-gatus\.js$)/],
];

/**
 * Node's modules that one plain http check never uses, though the bundled packages require them
 * at their top level: the bundle requires them on first use (scripts/bundle-cli.mjs).
 */
const UNUSED_BUILTINS = ['node:child_process', 'node:http2', 'node:crypto', 'node:tls'];

const dir = mkdtempSync(join(tmpdir(), 'lifeline-lazy-'));
let target: Server;
let url: string;

before(async () => {
  target = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((resolve) => target.once('listening', resolve));
  url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  return new Promise<void>((resolve) => target.close(() => resolve()));
});

/**
 * Runs `lifeline check --once` on a config; returns its exit code, its stderr (with LIFELINE_DEBUG),
 * the URLs of the files and Node modules it loaded, and those with what the bundle holds.
 */
async function checkOnce(
  name: string,
  config: string,
  extra: string[] = [],
): Promise<{ code: number | null; stderr: string; files: string[]; modules: string[] }> {
  const file = join(dir, `${name}.yaml`);
  const list = join(dir, `${name}.modules`);
  writeFileSync(file, config);
  const run = await runLifeline(['check', '--once', '--config', file, ...extra], {
    node: ['--import', RECORDER],
    env: { LIFELINE_RECORD_MODULES: list, LIFELINE_DEBUG: '1' },
  });
  const files = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  return { code: run.code, stderr: run.stderr, files, modules: [...bundled(), ...files] };
}

const loaded = (modules: string[], pattern: RegExp) => modules.filter((m) => pattern.test(m));

describe('lifeline check --once loads only what it uses', () => {
  it('runs from the bundle, compiled from the code cache V8 took: no file of dist/ but the boot', async () => {
    const run = await checkOnce('bundle', `checks:\n  - name: local\n    url: ${url}\n    every: 60s\n`);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(new URL('cli/check-bundle.v8cache', DIST)), 'the build saved the code cache');
    assert.doesNotMatch(run.stderr, /did not take the code cache/);
    assert.deepEqual(
      loaded(run.files, /\/prober\/dist\//),
      [new URL('cli/boot.cjs', DIST).href],
      'files of dist/ loaded besides the bundle',
    );
  });

  it('without storage: no store, server, metrics, @lifeline/health, pino-pretty, or Node modules it never uses', async () => {
    const run = await checkOnce('plain', `checks:\n  - name: local\n    url: ${url}\n    every: 60s\n`);
    assert.equal(run.code, 0, run.stderr);
    // The lists hold the command's own modules, so an empty match below means something.
    assert.equal(loaded(run.modules, /\/prober\/dist\/probes\/http\.js$/).length, 1, 'the http probe was loaded');
    assert.ok(loaded(run.modules, /\/node_modules\/undici\//).length > 0, 'undici was loaded');
    assert.ok(run.modules.includes('node:net'), "Node's modules were recorded");
    for (const [what, pattern] of MONITOR_ONLY) {
      assert.deepEqual(loaded(run.modules, pattern), [], `check --once without storage loaded ${what}`);
    }
    for (const builtin of UNUSED_BUILTINS) assert.ok(!run.modules.includes(builtin), `${builtin} was loaded`);
  });

  it('zod and yaml as the build bundled them: one file each, not their packages module by module', async () => {
    const run = await checkOnce('bundled', `checks:\n  - name: local\n    url: ${url}\n    every: 60s\n`);
    assert.equal(run.code, 0, run.stderr);
    for (const name of ['zod', 'yaml']) {
      assert.deepEqual(loaded(run.modules, new RegExp(`/prober/dist/bundled/${name}\\.js$`)), [
        new URL(`bundled/${name}.js`, DIST).href,
      ]);
      // Only the build's bundle (scripts/bundle-deps.mjs, run by `npm run build` or `npm run typecheck`)
      // keeps this list empty: tsc alone emits dist/bundled/*.js as re-exports of the packages.
      assert.deepEqual(
        loaded(run.modules, new RegExp(`/node_modules/${name}/`)),
        [],
        `${name} loaded from its package`,
      );
    }
  });

  it("with storage: the store and its driver, not the other dialect's, still no server or metrics", async () => {
    const db = join(dir, 'results.db');
    const run = await checkOnce(
      'stored',
      `storage: ${db}\nchecks:\n  - name: local\n    url: ${url}\n    every: 60s\n`,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(loaded(run.files, /\/prober\/dist\/store\/open\.js$/).length, 1, 'the store was loaded');
    assert.ok(loaded(run.files, /\/node_modules\/better-sqlite3\//).length > 0, 'better-sqlite3 was loaded');
    for (const [what, pattern] of MONITOR_ONLY.filter(([w]) =>
      ['pg', 'prom-client', 'the server', 'the monitor'].includes(w),
    )) {
      assert.deepEqual(loaded(run.modules, pattern), [], `check --once with storage loaded ${what}`);
    }
  });

  it('--format pretty loads pino-pretty', async () => {
    const run = await checkOnce('pretty', `checks:\n  - name: local\n    url: ${url}\n    every: 60s\n`, [
      '--format',
      'pretty',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(loaded(run.files, /\/node_modules\/pino-pretty\//).length > 0, 'pino-pretty was loaded');
  });
});
