// Start-up cost of `lifeline check --once` (the CronJob), side by side in one run with
// `node -e 0` (the floor of any Node.js command) and curl (one request, no runtime).
// Rounds interleave the three; each figure is the median over the rounds. Writes its
// section of docs/benchmarks.md.
//   npm run bench:startup     (BENCH_ROUNDS=15 by default)
// BENCH_COMPARE_REV=<git rev> adds that revision's build (git archive into a temp dir, built
// there with its own build steps) as a fourth command in the same rounds: before and after.
// Needs curl. Peak RSS of the node processes is their VmHWM, read at exit by a preload
// (hwm.cjs); curl's needs GNU time (/usr/bin/time, Debian package `time`), else it shows n/a.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, median, ROOT, startTarget, writeSection } from '../common.js';
import { buildRevision } from '../revision.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
/** Issue 14, goal 1. */
const RSS_GOAL_MIB = 60;
const WALL_GOAL_RATIO = 2;
/** deploy/kubernetes/base/prober-cronjob.yaml */
const CRONJOB_LIMIT_MIB = 128;

const HWM = join(import.meta.dirname, 'hwm.cjs');
const BIN = join(ROOT, 'packages/prober/bin/lifeline.js');
const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true']).status === 0;

interface Sample {
  readonly wallMs: number;
  /** undefined when it cannot be measured (curl without GNU time). */
  readonly peakMib: number | undefined;
  readonly cpuMs: number | undefined;
}

interface Command {
  readonly name: string;
  readonly note: string;
  run(): Promise<Sample>;
}

const COMPARE_REV = process.env.BENCH_COMPARE_REV;

const dir = mkdtempSync(join(tmpdir(), 'lifeline-startup-'));

const compareBin = COMPARE_REV ? buildRevision(COMPARE_REV, dir).bin : undefined;

const target = await startTarget();
const config = join(dir, 'one.yaml');
writeFileSync(config, `checks:\n  - name: local\n    url: ${target.url}\n    every: 60s\n`);

/** Runs argv to its exit; fails the bench when it does not exit 0 (a failed check would measure nothing useful). */
function timed(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ wallMs: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${argv.join(' ')} exited with ${code}: ${stderr}`));
      else resolve({ wallMs, stderr });
    });
  });
}

/** A node process with the VmHWM preload. */
async function node(args: readonly string[]): Promise<Sample> {
  const file = join(dir, 'hwm.json');
  rmSync(file, { force: true });
  const { wallMs } = await timed([process.execPath, '-r', HWM, ...args], { ...process.env, BENCH_HWM_FILE: file });
  const { hwmKb, cpuUs } = JSON.parse(readFileSync(file, 'utf8')) as { hwmKb: number; cpuUs: number };
  return { wallMs, peakMib: hwmKb / 1024, cpuMs: cpuUs / 1000 };
}

const curlArgs = ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', target.url];
async function curl(): Promise<Sample> {
  // Wall time without the time wrapper (it adds its own fork and exec); peak RSS and CPU in a second run with it.
  const { wallMs } = await timed(curlArgs);
  if (!hasGnuTime) return { wallMs, peakMib: undefined, cpuMs: undefined };
  const { stderr } = await timed([GNU_TIME, '-f', '%M %U %S', ...curlArgs]);
  const [kb, user, sys] = (stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  return { wallMs, peakMib: (kb as number) / 1024, cpuMs: ((user as number) + (sys as number)) * 1000 };
}

const COMMANDS: Command[] = [
  { name: '`node -e 0`', note: 'the floor of any Node.js command', run: () => node(['-e', '0']) },
  { name: '`curl`', note: "one GET, curl's own process", run: curl },
  {
    name: '`lifeline check --once`',
    note: 'one http check, no storage, JSON line to a pipe',
    run: () => node([BIN, 'check', '--once', '--config', config]),
  },
  ...(compareBin
    ? [
        {
          name: `\`lifeline check --once\` at ${COMPARE_REV}`,
          note: 'the same, built from that revision (before)',
          run: () => node([compareBin, 'check', '--once', '--config', config]),
        },
      ]
    : []),
];

const samples = new Map<string, Sample[]>(COMMANDS.map((c) => [c.name, []]));
try {
  for (const c of COMMANDS) await c.run(); // warm the page cache
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < COMMANDS.length; i++) {
      const c = COMMANDS[(i + round) % COMMANDS.length] as Command;
      samples.get(c.name)?.push(await c.run());
    }
  }
} finally {
  target.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

interface Figures {
  wallMs: number;
  wallMin: number;
  wallMax: number;
  peakMib: number | undefined;
  cpuMs: number | undefined;
}
const figures = new Map<string, Figures>();
for (const c of COMMANDS) {
  const s = samples.get(c.name) as Sample[];
  const peaks = s.map((x) => x.peakMib).filter((x) => x !== undefined);
  const cpus = s.map((x) => x.cpuMs).filter((x) => x !== undefined);
  const walls = s.map((x) => x.wallMs);
  figures.set(c.name, {
    wallMs: median(walls),
    wallMin: Math.min(...walls),
    wallMax: Math.max(...walls),
    peakMib: peaks.length > 0 ? median(peaks) : undefined,
    cpuMs: cpus.length > 0 ? median(cpus) : undefined,
  });
}

const f = (x: number | undefined, digits = 1) => (x === undefined ? 'n/a' : x.toFixed(digits));
const [bare, , lifeline] = COMMANDS.map((c) => figures.get(c.name) as Figures) as [Figures, Figures, Figures];
const rows = COMMANDS.map((c) => {
  const x = figures.get(c.name) as Figures;
  return `| ${c.name} | ${f(x.wallMs)} (${f(x.wallMin)}–${f(x.wallMax)}) | ${f(x.cpuMs)} | ${f(x.peakMib)} | ${c.note} |`;
});
const before = compareBin ? (figures.get(COMMANDS[3]?.name as string) as Figures) : undefined;
const wallRatio = lifeline.wallMs / bare.wallMs;
/** CPU is steadier than wall on a shared machine: the same ratio in CPU time. */
const cpuRatio = (x: Figures) =>
  x.cpuMs !== undefined && bare.cpuMs !== undefined ? `; CPU ${(x.cpuMs / bare.cpuMs).toFixed(2)}×` : '';
const peak = lifeline.peakMib ?? Number.NaN;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');

const section = `
## lifeline check --once: start-up cost (the CronJob)

Command: \`${COMPARE_REV ? `BENCH_COMPARE_REV=${COMPARE_REV} ` : ''}npm run bench:startup\` (BENCH_ROUNDS=${ROUNDS}; the ${COMMANDS.length} commands interleaved, order rotating each round; medians, wall as median (min–max)).
Machine: ${machine()}. The target is a keep-alive node:http server in its own process on loopback; the config has one http check and no storage.
Peak RSS of node processes is VmHWM from /proc/self/status at exit (a \`-r\` preload, bench/startup/hwm.cjs); curl's is GNU time's %M${hasGnuTime ? '' : ' (not installed here: n/a)'}. Wall time is spawn to exit, as seen by the bench.
\`check\` runs from one bundled file compiled from V8's code cache, both made by the build (packages/prober/scripts/bundle-cli.mjs, src/cli/compiled.ts); other work on the machine moves absolute figures, so compare rows of one run, not runs.

| command | wall ms | CPU ms (user+sys) | peak RSS MiB | notes |
| --- | ---: | ---: | ---: | --- |
${rows.join('\n')}

Goal (issue 14, goal 1): peak RSS <= ${RSS_GOAL_MIB} MiB — measured ${f(peak)} MiB, ${verdict(peak <= RSS_GOAL_MIB)}${peak > RSS_GOAL_MIB ? ` (${f(peak - RSS_GOAL_MIB)} MiB over)` : ''};
wall <= ${WALL_GOAL_RATIO}× \`node -e 0\` — measured ${wallRatio.toFixed(2)}×, ${verdict(wallRatio <= WALL_GOAL_RATIO)}${wallRatio > WALL_GOAL_RATIO ? ` (${f(lifeline.wallMs - WALL_GOAL_RATIO * bare.wallMs)} ms over)` : ''}${cpuRatio(lifeline)}.${before ? `\nBefore (${COMPARE_REV}, same rounds): wall ${(before.wallMs / bare.wallMs).toFixed(2)}× \`node -e 0\`${cpuRatio(before)}, peak RSS ${f(before.peakMib)} MiB.` : ''}
The CronJob's memory limit is ${CRONJOB_LIMIT_MIB}Mi (deploy/kubernetes/base/prober-cronjob.yaml): this peak is ${((peak / CRONJOB_LIMIT_MIB) * 100).toFixed(0)}% of it, ${f(CRONJOB_LIMIT_MIB - peak)} MiB of headroom. More checks in one config, storage (better-sqlite3 or pg) and \`--format pretty\` load more; rerun with the CronJob's own config to size its limit.
`;

writeSection('startup', section);
console.log(section);
