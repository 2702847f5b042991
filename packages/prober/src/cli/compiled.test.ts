// How bin/lifeline.js loads `check` from the build's bundle and V8 code cache (compiled.ts): a
// cache V8 takes, one it refuses (the bundle still runs), a bundle that is missing or older
// than the last `tsc` (not used), and the bundle's import() of what stays out of it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadCompiledCli } from './compiled.js';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-compiled-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const bundle = join(dir, 'check-bundle.cjs');
const cache = join(dir, 'check-bundle.v8cache');
const buildInfo = join(dir, 'tsconfig.tsbuildinfo');
// A bundle as scripts/bundle-cli.mjs leaves it: CommonJS, its lazy import() through __lifelineImport.
writeFileSync(
  bundle,
  [
    'let runs = 0;',
    "exports.main = async (argv) => { runs++; const { lazy } = await __lifelineImport('./lazy.mjs'); return `${lazy} ${argv.join(' ')} ${runs}`; };",
  ].join('\n'),
);
writeFileSync(join(dir, 'lazy.mjs'), "export const lazy = 'lazy module';\n");
writeFileSync(buildInfo, '{}');
utimesSync(buildInfo, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));

/** In a process of its own: one that compiled the bundle already would not read the cache. */
function inChild(): { cache: string; answer: string } {
  const code = [
    `import { loadCompiledCli } from ${JSON.stringify(new URL('./compiled.ts', import.meta.url).href)};`,
    `const cli = loadCompiledCli(${JSON.stringify(bundle)}, ${JSON.stringify(cache)}, ${JSON.stringify(buildInfo)});`,
    "process.stdout.write(JSON.stringify({ cache: cli.cache, answer: await cli.main(['check']) }));",
  ].join('\n');
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { cache: string; answer: string };
}

describe('check from the bundle and its code cache', () => {
  it('without a cache: compiled from source; its import() loads what stays out, next to the bundle', async () => {
    rmSync(cache, { force: true });
    const cli = loadCompiledCli(bundle, cache, buildInfo);
    assert.equal(cli?.cache, 'none');
    assert.equal(await cli?.main(['check', '--once']), 'lazy module check --once 1');
  });

  it('a cache saved after a run is taken by V8 in the next process, which runs the same', () => {
    const cli = loadCompiledCli(bundle, undefined, buildInfo);
    writeFileSync(cache, cli?.script.createCachedData() ?? Buffer.alloc(0));
    assert.deepEqual(inChild(), { cache: 'accepted', answer: 'lazy module check 1' });
  });

  it('a cache V8 refuses (not its own): the bundle runs, compiled from source', () => {
    writeFileSync(cache, Buffer.from('not a V8 code cache'.repeat(10)));
    assert.deepEqual(inChild(), { cache: 'rejected', answer: 'lazy module check 1' });
  });

  it('no bundle, or one older than the last tsc: not used (dist/cli/main.js runs instead)', () => {
    assert.equal(loadCompiledCli(join(dir, 'none.cjs'), cache, buildInfo), undefined);
    utimesSync(buildInfo, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    try {
      assert.equal(loadCompiledCli(bundle, cache, buildInfo), undefined);
    } finally {
      utimesSync(buildInfo, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    }
  });
});
