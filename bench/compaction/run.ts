// Periodic store work vs the event loop (issue #14): how long compaction and
// retention hold the loop at once, measured as the longest stretch between two
// setImmediate turns while the store call runs (bench/compaction/child.ts, one
// process per measurement, a temp SQLite file or a PostgreSQL schema of its own).
// 1. Compaction: CHECKS push checks (one result a minute each); the hour and day
//    rows exist; each round compacts the next finished minute (the monitor does
//    it every 30 s). ROUNDS rounds.
// 2. Retention: each round deletes ten minutes of raw rows and their minute
//    rollups (the monitor prunes every 10 minutes).
// For each size in BENCH_COMPACTION_CHECKS, this build and, with
// BENCH_COMPARE_REV=<git rev>, the prober source of that revision (extracted
// with git archive into a temp dir), in the same run.
// PostgreSQL (127.0.0.1:5432, LIFELINE_TEST_DATABASE_URL) is measured too when it answers.
// Writes its section of docs/benchmarks.md.
//   npm run bench:compaction   (BENCH_COMPACTION_CHECKS=10000,50000, BENCH_ROUNDS=3,
//                               BENCH_COMPARE_REV unset, BENCH_NO_WRITE=1 prints only)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceMissing } from '../../test/support/services.js';
import { machine, ROOT, writeSection } from '../common.js';

const SIZES = (process.env.BENCH_COMPACTION_CHECKS ?? '10000,50000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COMPARE_REV = process.env.BENCH_COMPARE_REV;
const PG_URL = process.env.LIFELINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Round {
  longestMs: number;
  turns: number;
  ms: number;
  rows: number;
}

const tmp = mkdtempSync(join(tmpdir(), 'lifeline-bench-compaction-'));
function measure(src: string, backend: 'sqlite' | 'postgres', op: 'compact' | 'prune', checks: number) {
  const dir = mkdtempSync(join(tmp, 'run-'));
  const arg = JSON.stringify({ src, backend, op, checks, rounds: ROUNDS, dir, pgUrl: PG_URL });
  return new Promise<Round[]>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/compaction/child.ts'), arg], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: ROOT,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code === 0) resolve(JSON.parse(out) as Round[]);
      else reject(new Error(`${backend} ${op} ${checks}: child exited with ${code}`));
    });
  });
}

const builds: { label: string; src: string }[] = [{ label: 'this build', src: join(ROOT, 'packages/prober/src') }];
if (COMPARE_REV) {
  const root = join(tmp, 'compare');
  mkdirSync(root);
  // The other revision's prober source, resolving packages from this checkout's node_modules.
  execFileSync('sh', ['-c', `git archive ${COMPARE_REV} packages/prober/src | tar -x -C ${root}`], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const rev = execFileSync('git', ['rev-parse', '--short', COMPARE_REV], { cwd: ROOT, encoding: 'utf8' }).trim();
  builds.unshift({ label: `before (${rev})`, src: join(root, 'packages/prober/src') });
}
const pgMissing = await serviceMissing('PostgreSQL', '127.0.0.1', 5432).catch((e: Error) => e.message);
const backends: ('sqlite' | 'postgres')[] = pgMissing ? ['sqlite'] : ['sqlite', 'postgres'];

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const n = (x: number) => x.toLocaleString('en-US');
const rows: string[] = [];
try {
  for (const backend of backends) {
    for (const op of ['compact', 'prune'] as const) {
      for (const checks of SIZES) {
        for (const build of builds) {
          const rounds = await measure(build.src, backend, op, checks);
          const worst = Math.max(...rounds.map((r) => r.longestMs));
          const line = `| ${backend} | ${op === 'compact' ? 'compaction, 1 minute' : 'retention, 10 minutes'} | ${n(checks)} | ${build.label} | ${n(rounds[0]?.rows ?? 0)} | **${fmt(worst)}** | ${rounds.map((r) => fmt(r.ms)).join(' / ')} | ${rounds.map((r) => r.turns).join(' / ')} |`;
          console.log(line);
          rows.push(line);
        }
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const body = `## Compaction and retention vs the event loop (issue #14)

Machine: ${machine()}.
Command: \`npm run bench:compaction\` (BENCH_COMPACTION_CHECKS=${SIZES.join(',')}, BENCH_ROUNDS=${ROUNDS}${COMPARE_REV ? `, BENCH_COMPARE_REV=${COMPARE_REV}` : ''}).${pgMissing ? ` PostgreSQL not measured: ${pgMissing}.` : ''}

Each row is one process with a fresh store: push checks with one result a minute each. Compaction: the hour and day rows exist, and each round folds the next finished minute (the monitor compacts every 30 s). Retention: each round deletes ten minutes of raw rows and their minute rollups (the monitor prunes every 10 minutes). **Longest block** is the longest stretch between two turns of the event loop (setImmediate) while the call ran, worst of the rounds: no timer, socket or scheduled run can fire during it. Duration is the whole call, per round; turns are the loop's turns during it.

| store | work | checks | build | rows per round | longest block (ms) | duration per round (ms) | loop turns |
|---|---|---:|---|---:|---:|---:|---:|
${rows.join('\n')}
`;
if (process.env.BENCH_NO_WRITE) console.log(body);
else writeSection('compaction', body);
