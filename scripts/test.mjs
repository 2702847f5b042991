#!/usr/bin/env node
// `npm test`: every *.test.ts in the repository, run by Node's own test runner
// with tsx compiling TypeScript on the fly. Node 20's --test takes no globs, so
// the files are listed here. Extra arguments are passed through, e.g.
// `npm test -- --test-name-pattern=config` or a path filter: `npm test -- packages/prober`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SKIP = new Set(['node_modules', 'dist', '.git', 'data', 'coverage']);

function find(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) find(path, out);
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('--'));
const flags = args.filter((a) => a.startsWith('--'));
// The whole-system tests first: they are the longest files (processes, leases, a browser), and
// started last they ran side by side at the end while the other slot sat idle.
const slowFirst = (a, b) => Number(b.startsWith('test/e2e/')) - Number(a.startsWith('test/e2e/')) || a.localeCompare(b);
const files = find(root)
  .filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)))
  .sort(slowFirst);
if (files.length === 0) {
  process.stderr.write(`no test files match ${filters.join(' ')}\n`);
  process.exit(1);
}
// Two files at a time even on two cores: much of the suite waits on processes, servers and
// timers rather than computing (one at a time took 461 s here, two 272 s). At most four.
const concurrency = Math.min(4, Math.max(2, availableParallelism()));
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-timeout=120000',
    `--test-concurrency=${concurrency}`,
    ...flags,
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
