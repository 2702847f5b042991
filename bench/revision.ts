// Another revision of lifeline, built in a temp dir, so a bench measures it side by side with
// this checkout in one run (BENCH_COMPARE_REV of bench:startup, bench:blackbox, bench:scale,
// BENCH_LOAD_REV of bench:load). It is built as that revision builds itself (`npm run build`:
// the prober, its bundles and the dashboard, which a monitor loads at start), its packages
// resolving from this checkout's node_modules except its own @lifeline/* workspaces.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './common.js';

export interface Build {
  readonly label: string;
  /** Its packages/prober/bin/lifeline.js. */
  readonly bin: string;
  /** Its packages/prober. */
  readonly prober: string;
}

const WORKSPACES: Readonly<Record<string, string>> = {
  health: 'packages/health',
  prober: 'packages/prober',
  web: 'packages/web',
  'example-api': 'apps/api',
};

/** node_modules of `root`: every package of this checkout's, but @lifeline/* pointing into `root`. */
function linkModules(root: string): void {
  const modules = join(root, 'node_modules');
  mkdirSync(join(modules, '@lifeline'), { recursive: true });
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== '@lifeline') symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  for (const [name, path] of Object.entries(WORKSPACES)) {
    if (existsSync(join(root, path))) symlinkSync(join(root, path), join(modules, '@lifeline', name));
  }
}

/** Extracts REV into dir/REV and builds it with its own `npm run build` (prober, its bundled deps, the dashboard). */
export function buildRevision(rev: string, dir: string): Build {
  const short = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const root = join(dir, short);
  mkdirSync(root, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${short} | tar -x -C ${root}`], { cwd: ROOT });
  linkModules(root);
  console.error(`building ${short} in ${root} (npm run build)`);
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  return {
    label: `before (${short})`,
    bin: join(root, 'packages/prober/bin/lifeline.js'),
    prober: join(root, 'packages/prober'),
  };
}
