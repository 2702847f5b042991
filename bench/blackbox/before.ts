// BENCH_COMPARE_REV: the compiled `lifeline` of another revision, so a change is measured side by
// side with what it replaces, in the same rounds. The revision's prober and health sources are
// extracted with git archive (as bench/compaction does) into a temp dir, resolve packages from
// this checkout's node_modules, and are built there with tsc and the prober's bundle step.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../common.js';

/** The path of the built revision's bin/lifeline.js, and its short name. */
export function buildRevision(rev: string, tmp: string): { bin: string; label: string } {
  const short = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const root = join(tmp, `rev-${short}`);
  mkdirSync(root);
  const paths = ['packages/prober', 'packages/health', 'tsconfig.base.json'];
  execFileSync('sh', ['-c', `git archive ${short} ${paths.join(' ')} | tar -x -C ${root}`], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', join(root, 'packages/prober/tsconfig.json')], { stdio: 'inherit' });
  const bundle = join(root, 'packages/prober/scripts/bundle-deps.mjs');
  if (existsSync(bundle)) execFileSync(process.execPath, [bundle], { stdio: 'inherit' });
  return { bin: join(root, 'packages/prober/bin/lifeline.js'), label: short };
}
