// `lifeline run` at scale (issue #14, goal 2): the real compiled CLI in its own process, pinned to
// one CPU, with N http checks `every: 60s` (`jitter: 60s`), each its own URL on one keep-alive
// node:http target in its own process on loopback, results in SQLite in a temp dir (the local
// default). The target and this bench are pinned to the other CPU. Per size: start-up (spawn to
// listening, spawn to the first result), then after a warm-up a window long enough for every
// check to run once: RSS (median and peak, /proc), CPU share, scheduler lag (time - scheduledAt
// of every result line), results/s against N/60. Writes its section of docs/benchmarks.md.
//   npm run bench:scale   (BENCH_SCALE_SIZES=1000,10000:heap=128,100000:every=300:heap=384,100000 — N, with
//     :keepalive for `keepAlive: true`, :heap=MiB for NODE_OPTIONS=--max-old-space-size=MiB as in the pods,
//     :every=S for checks every S seconds instead of 60 (jitter the same), :arena=N for
//     MALLOC_ARENA_MAX=N as the image sets it (deploy/docker/Dockerfile);
//     BENCH_SCALE_WINDOW=120 s, BENCH_SCALE_WARMUP=10 s, BENCH_SCALE_START_TIMEOUT=120 s,
//     BENCH_SCALE_CPU=1 (the monitor's CPU; "none" pins nothing), BENCH_COMPARE_REV=<git rev> also
//     measures that revision, built in a temp dir, before this build at each size;
//     BENCH_NODE_ARGS adds node flags to every monitor; BENCH_NO_WRITE=1 prints only)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, ROOT, startTarget, writeSection } from '../common.js';
import { type BenchMonitor, BIN } from '../dashboard/monitor.js';
import { type Build, buildRevision } from '../revision.js';
import { type Measurement, measure, type Scenario, type Settings } from './measure.js';
import { report } from './report.js';

// 100,000 checks with keepAlive hold 100,000 sockets: more than a default open-file limit (20,000 here).
const SIZES_SPEC = process.env.BENCH_SCALE_SIZES ?? '1000,10000:heap=128,100000:every=300:heap=384,100000';
const scenarios: Scenario[] = SIZES_SPEC.split(',').map((spec) => {
  const [n, ...modes] = spec.trim().split(':');
  const checks = Number(n);
  const heap = modes.find((m) => m.startsWith('heap='));
  const heapMb = heap === undefined ? undefined : Number(heap.slice('heap='.length));
  const every = modes.find((m) => m.startsWith('every='));
  const everyS = every === undefined ? 60 : Number(every.slice('every='.length));
  const arena = modes.find((m) => m.startsWith('arena='));
  const arenas = arena === undefined ? undefined : Number(arena.slice('arena='.length));
  const known = modes.every((m) => m === 'keepalive' || m === heap || m === every || m === arena);
  if (
    !Number.isInteger(checks) ||
    checks < 1 ||
    !known ||
    (heapMb !== undefined && !(heapMb > 0)) ||
    !(Number.isInteger(everyS) && everyS > 0) ||
    (arenas !== undefined && !(Number.isInteger(arenas) && arenas > 0))
  )
    throw new Error(
      `BENCH_SCALE_SIZES: "${spec}" is not N with any of :keepalive, :heap=MiB, :every=seconds, :arena=N`,
    );
  return {
    checks,
    keepAlive: modes.includes('keepalive'),
    everyS,
    ...(heapMb === undefined ? {} : { heapMb }),
    ...(arenas === undefined ? {} : { mallocArenas: arenas }),
  };
});
const cpuSpec = process.env.BENCH_SCALE_CPU ?? '1';
const COMPARE_REV = process.env.BENCH_COMPARE_REV;
/** Node flags for every monitor (experiments: --max-semi-space-size=2, --cpu-prof...). */
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const settings: Settings = {
  warmupS: Number(process.env.BENCH_SCALE_WARMUP ?? 10),
  windowS: Number(process.env.BENCH_SCALE_WINDOW ?? 120),
  startTimeoutS: Number(process.env.BENCH_SCALE_START_TIMEOUT ?? 120),
  cpu: cpuSpec === 'none' ? undefined : Number(cpuSpec),
  nodeArgs: NODE_ARGS,
};
// A run is due at a random point of its minute (the jitter), so two runs of a check can be up to 120 s apart.
if (settings.windowS < 120)
  console.error(`BENCH_SCALE_WINDOW=${settings.windowS}: under 120 s, some checks may not run in the window`);

/** The CPUs this bench and the target run on: every one but the monitor's. */
function otherCpus(): string | undefined {
  if (settings.cpu === undefined) return undefined;
  const others = cpus()
    .map((_, i) => i)
    .filter((i) => i !== settings.cpu);
  if (others.length === 0 || settings.cpu >= cpus().length)
    throw new Error(`BENCH_SCALE_CPU=${settings.cpu}: this machine has ${cpus().length} CPU(s)`);
  return others.join(',');
}

const pin = (pid: number, list: string) => execFileSync('taskset', ['-a', '-p', '-c', list, String(pid)]);

const tmp = mkdtempSync(join(tmpdir(), 'lifeline-bench-scale-builds-'));
const target = await startTarget();
let current: BenchMonitor | undefined;
// Ctrl-C or a kill leaves no monitor nor target behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    current?.child.kill('SIGKILL');
    target.child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
}
const rows: Measurement[] = [];
// Other work on the machine shows here: the monitor is pinned, not alone on its CPU.
const loadAtStart = loadavg()[0] ?? 0;
try {
  const others = otherCpus();
  if (others !== undefined) {
    pin(process.pid, others);
    pin(target.child.pid as number, others);
  }
  const builds: Build[] = [];
  if (COMPARE_REV) builds.push(buildRevision(COMPARE_REV, tmp));
  builds.push({ label: 'this build', bin: BIN, prober: join(ROOT, 'packages/prober') });
  for (const scenario of scenarios) {
    for (const build of builds) {
      const row = await measure(scenario, build, target.url, settings, (m) => {
        current = m;
      });
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  }
} finally {
  target.child.kill();
  rmSync(tmp, { recursive: true, force: true });
}

const body = report(rows, {
  command: `\`npm run bench:scale\` (BENCH_SCALE_SIZES=${SIZES_SPEC}, BENCH_SCALE_WINDOW=${settings.windowS} s, BENCH_SCALE_WARMUP=${settings.warmupS} s, BENCH_SCALE_CPU=${cpuSpec}${NODE_ARGS.length > 0 ? `, BENCH_NODE_ARGS="${NODE_ARGS.join(' ')}"` : ''}${COMPARE_REV ? `, BENCH_COMPARE_REV=${COMPARE_REV}` : ''})`,
  machine: `${machine()}; load average (1 min) ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end`,
  settings,
});
if (process.env.BENCH_NO_WRITE) console.log(body);
else writeSection('scale', body);
if (rows.some((r) => r.failed)) process.exitCode = 1;
