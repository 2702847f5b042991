// CPU per probe, a new connection each: `lifeline run` next to Prometheus blackbox_exporter,
// both driven at the same probe rate against the same loopback target (issue 14, goal 3).
// The order of the runs rotates each round at each rate (blackbox, lifeline, then lifeline, blackbox...), so drift shows.
// Writes its section of docs/benchmarks.md.
//   npm run bench:blackbox   (BENCH_RATES=50,200 probes/s, BENCH_ROUNDS=3, BENCH_DURATION=15 s per run
//   after BENCH_WARMUP=30 s)
// BENCH_COMPARE_REV=<git rev> adds that revision's `lifeline run` (built from git archive) as a third
// prober in the same rounds: before and after, side by side.
// Needs blackbox_exporter: Debian's `apt-get install prometheus-blackbox-exporter`, or
// BLACKBOX_EXPORTER=/path/to/blackbox_exporter. It is not installed by the bench.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, writeSection } from '../common.js';
import { buildRevision } from '../revision.js';
import {
  children,
  findExporter,
  type Prober,
  startExporter,
  startLifeline,
  startTarget,
  type Target,
} from './probers.js';
import { type Run, report } from './report.js';

const RATES = (process.env.BENCH_RATES ?? '50,200').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 15);
// A monitor runs for days: the window starts once V8 has compiled the hot paths. lifeline's CPU per
// probe at 50/s fell by about a third over its first minute (15 s windows); 5 s of warm-up measured
// mostly that. The exporter, compiled ahead of time, gets the same warm-up.
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 30);
const COMPARE_REV = process.env.BENCH_COMPARE_REV;

const found = findExporter();
if ('missing' in found) {
  console.error(
    `bench:blackbox needs Prometheus blackbox_exporter: ${found.missing}.\n` +
      'Install it with `apt-get install prometheus-blackbox-exporter` (Debian, Ubuntu),\n' +
      'or point BLACKBOX_EXPORTER at a blackbox_exporter binary.',
  );
  process.exit(1);
}
const { binary } = found;
if (RATES.some((r) => !Number.isInteger(r) || r < 1) || !(ROUNDS >= 1) || !(DURATION_S > 0) || !(WARMUP_S >= 0)) {
  console.error(
    'BENCH_RATES is a comma-separated list of whole probes/s; BENCH_ROUNDS and BENCH_DURATION are positive, BENCH_WARMUP at least 0',
  );
  process.exit(2);
}
const version = (() => {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return /version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown';
})();

const dir = mkdtempSync(join(tmpdir(), 'lifeline-blackbox-'));
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
};
process.once('exit', cleanup);
const before = COMPARE_REV ? buildRevision(COMPARE_REV, dir) : undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS (bytes) and CPU seconds in user and kernel mode (every thread) of a process, from /proc. */
function procStats(pid: number): { rss: number; user: number; sys: number } {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime, in clock ticks of 1/100 s (USER_HZ on Linux).
  return { rss, user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100 };
}

/** Starts a prober, lets it warm up, measures one window, stops it. */
async function measure(
  target: Target,
  prober: Run['prober'],
  rate: number,
  round: number,
  start: () => Promise<Prober>,
): Promise<Run> {
  const p = await start();
  try {
    await sleep(WARMUP_S * 1000);
    const c0 = p.counts();
    const s0 = procStats(p.pid);
    const t0 = await target.stats();
    const w0 = performance.now();
    let peakRss = s0.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, procStats(p.pid).rss);
    }, 1000);
    await sleep(DURATION_S * 1000);
    clearInterval(sampler);
    const c1 = p.counts();
    const s1 = procStats(p.pid);
    const t1 = await target.stats();
    const elapsed = (performance.now() - w0) / 1000;
    const probes = c1.passed + c1.failed - c0.passed - c0.failed;
    if (probes === 0) throw new Error(`${prober} at ${rate}/s finished no probe in ${DURATION_S} s`);
    const userS = s1.user - s0.user;
    const cpuS = userS + s1.sys - s0.sys;
    return {
      prober,
      rate,
      round,
      perSecond: probes / elapsed,
      failed: c1.failed - c0.failed,
      missed: c1.missed - c0.missed,
      cpuMsPerProbe: (cpuS * 1000) / probes,
      userMsPerProbe: (userS * 1000) / probes,
      cpuShare: cpuS / elapsed,
      peakRssMib: Math.max(peakRss, s1.rss) / 1_048_576,
      connectionsPerProbe: (t1.connections - t0.connections) / probes,
      targetUsPerProbe: (t1.cpuUs - t0.cpuUs) / (t1.requests - t0.requests),
    };
  } finally {
    await p.stop();
  }
}

const target = await startTarget();
const runs: Run[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const rate of RATES) {
      const blackbox = () =>
        measure(target, 'blackbox', rate, round, () => startExporter(binary, dir, target.url, rate));
      const lifeline = () => measure(target, 'lifeline', rate, round, () => startLifeline(dir, target.url, rate));
      const order = [blackbox, lifeline];
      if (before)
        order.push(() =>
          measure(target, 'before', rate, round, () => startLifeline(dir, target.url, rate, before.bin)),
        );
      // Each round starts with the next prober, so none is always first or last.
      const shift = (round - 1) % order.length;
      for (const run of [...order.slice(shift), ...order.slice(0, shift)]) {
        const r = await run();
        console.log(
          `round ${round}, ${rate}/s, ${r.prober}: ${r.perSecond.toFixed(1)} probes/s, ${r.cpuMsPerProbe.toFixed(3)} ms CPU per probe, ${r.peakRssMib.toFixed(1)} MiB`,
        );
        runs.push(r);
      }
    }
  }
} finally {
  await target.stop();
}

const section = report(runs, {
  machine: machine(),
  version,
  rates: RATES,
  rounds: ROUNDS,
  durationS: DURATION_S,
  warmupS: WARMUP_S,
  ...(before ? { before: before.label } : {}),
});
writeSection('blackbox', section);
console.log(section);
const failed = runs.reduce((sum, r) => sum + r.failed, 0);
if (failed > 0) {
  console.error(
    `${failed} probes failed against a target that always answers 200: the comparison is not like for like`,
  );
  process.exit(1);
}
