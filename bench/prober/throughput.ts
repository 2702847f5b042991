// (a) 1,000 checks against a local keep-alive target, results stored in
// SQLite, next to autocannon on the same target with the same connections.
// (b) 10,000 checks every 60 s: scheduler lag, RSS and CPU. Both run the real
// `lifeline run` CLI (compiled, as in the image) in its own process.
//   node --import tsx bench/prober/throughput.ts [throughput|soak]
// BENCH_NODE_ARGS adds node flags to the CLI, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { percentile, ROOT, startTarget } from '../common.js';

/** The old-space cap of every CLI run: what Node gives itself in a pod with a 256 MiB memory limit. */
export const HEAP_MB = 128;

/** RSS (bytes) and CPU time (s, every thread) of a process, from /proc: measured from outside. */
export function procStats(pid: number): { rss: number; cpu: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { rss, cpu: ticks / 100 };
}

/** The kernel's count of connections dropped because a listen queue was full (all sockets of this network namespace). */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const names = lines.find((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(' ') ?? [];
  return Number(values[names.indexOf('ListenOverflows')] ?? 0);
}

export interface CheckOptions {
  readonly count: number;
  readonly every: string;
  readonly keepAlive?: boolean;
  readonly jitter?: string;
  readonly concurrency?: number;
}

/** A config of o.count http checks, each its own URL on the target, results in SQLite in dir (bench/scale uses it too). */
export function checksConfig(url: string, dir: string, o: CheckOptions): string {
  const lines = [
    `storage: ${join(dir, 'bench.db')}`,
    'scheduler:',
    `  concurrency: ${o.concurrency ?? 256}`,
    'checks:',
  ];
  for (let i = 0; i < o.count; i++) {
    lines.push(`  - name: c${i}`, `    url: ${url}?c=${i}`, `    every: ${o.every}`, '    timeout: 5s');
    if (o.keepAlive) lines.push('    keepAlive: true');
    if (o.jitter) lines.push(`    jitter: ${o.jitter}`);
  }
  return lines.join('\n');
}

export interface CliRun {
  readonly results: number;
  /** Runs skipped in the window because the check's previous run was still going. */
  readonly skipped: number;
  /** Connections the kernel dropped in the window because the target's listen queue was full. */
  readonly listenOverflows: number;
  readonly perSecond: number;
  /** CPU time of the CLI process (all its threads) over the window, as a share of one core. */
  readonly cpuShare: number;
  /** CPU time per result, in microseconds. */
  readonly cpuPerResultUs: number;
  readonly peakRssMb: number;
  /** time - scheduledAt of every result in the window, sorted (ms). */
  readonly lags: readonly number[];
}

/**
 * Runs `lifeline run` on a generated config and measures a window of
 * `seconds`, starting `warmupS` after the monitor says it started: results
 * counted from its JSON lines, CPU and RSS read from /proc.
 */
export async function runCli(
  targetUrl: string,
  checks: CheckOptions,
  seconds: number,
  warmupS: number,
  collectLag = false,
): Promise<CliRun> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-run-'));
  const file = join(dir, 'bench.yaml');
  writeFileSync(file, checksConfig(targetUrl, dir, checks));
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      join(ROOT, 'packages/prober/bin/lifeline.js'),
      'run',
      '--config',
      file,
      '--port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` } },
  );
  const pid = child.pid as number;
  let counting = false;
  let results = 0;
  let skipped = 0;
  const lags: number[] = [];
  let started: () => void = () => {};
  const startedLine = new Promise<void>((resolve) => {
    started = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.includes('lifeline monitor started')) started();
    if (counting && line.includes('previous run is still in progress')) skipped += 1;
    if (!counting || !line.includes('"durationMs"')) return;
    results += 1;
    if (collectLag) {
      const r = JSON.parse(line) as { time: string; scheduledAt?: string };
      if (r.scheduledAt) lags.push(Date.parse(r.time) - Date.parse(r.scheduledAt));
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await Promise.race([startedLine, exited.then(() => Promise.reject(new Error('lifeline run exited early')))]);
    await new Promise((r) => setTimeout(r, warmupS * 1000));
    const start = procStats(pid);
    const overflows0 = listenOverflows();
    const t0 = performance.now();
    counting = true;
    let peakRss = start.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, procStats(pid).rss);
    }, 1000);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    counting = false;
    clearInterval(sampler);
    const end = procStats(pid);
    const elapsed = (performance.now() - t0) / 1000;
    lags.sort((a, b) => a - b);
    return {
      results,
      skipped,
      listenOverflows: listenOverflows() - overflows0,
      perSecond: results / elapsed,
      cpuShare: (end.cpu - start.cpu) / elapsed,
      cpuPerResultUs: ((end.cpu - start.cpu) * 1e6) / results,
      peakRssMb: Math.max(peakRss, end.rss) / 1_048_576,
      lags,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export interface LoadRun {
  readonly perSecond: number;
  readonly cpuShare: number;
  readonly cpuPerRequestUs: number;
}

/** autocannon in this process (nothing else runs here meanwhile), with its CPU time. */
async function load(url: string, connections: number, seconds: number, extra: object = {}): Promise<LoadRun> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await autocannon({ url, connections, duration: seconds, ...extra });
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  if (result.errors > 0 || result.non2xx > 0)
    throw new Error(`autocannon saw ${result.errors} errors, ${result.non2xx} non-2xx`);
  return {
    perSecond: result.requests.total / elapsed,
    cpuShare: cpuS / elapsed,
    cpuPerRequestUs: (cpuS * 1e6) / result.requests.total,
  };
}

/**
 * (a) Each keep-alive check holds one connection of its own, so autocannon
 * gets as many connections as there are checks.
 */
export async function throughputBench(seconds: number, checks = 1000) {
  const target = await startTarget();
  try {
    const url = target.url;
    // Half a second off the 1 s grid, so that the window holds exactly `seconds` rounds.
    const warmupS = 2.5;
    const autocannonPaced = await load(url, checks, seconds, { overallRate: 1000 });
    const autocannonMax = await load(url, checks, seconds);
    const autocannonPacedFresh = await load(url, checks, seconds, {
      overallRate: 1000,
      headers: { connection: 'close' },
    });
    const scheduled = await runCli(
      url,
      { count: checks, every: '1s', keepAlive: true, concurrency: checks },
      seconds,
      warmupS,
    );
    const saturated = await runCli(
      url,
      { count: checks, every: '100ms', keepAlive: true, concurrency: checks },
      seconds,
      warmupS + 0.05,
    );
    const scheduledFresh = await runCli(url, { count: checks, every: '1s', concurrency: checks }, seconds, warmupS);
    return { checks, autocannonPaced, autocannonMax, autocannonPacedFresh, scheduled, saturated, scheduledFresh };
  } finally {
    target.child.kill();
  }
}

/** (b) 10,000 checks every 60 s, spread by a 60 s jitter as one would configure it. */
export async function soakBench(seconds: number) {
  const target = await startTarget();
  try {
    const run = await runCli(target.url, { count: 10_000, every: '60s', jitter: '60s' }, seconds, 3, true);
    return {
      results: run.results,
      perSecond: run.perSecond,
      lagP50: percentile(run.lags, 0.5),
      lagP99: percentile(run.lags, 0.99),
      lagMax: run.lags.at(-1) ?? Number.NaN,
      peakRssMb: run.peakRssMb,
      cpuShare: run.cpuShare,
    };
  } finally {
    target.child.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const which = process.argv[2] ?? 'throughput';
  if (which === 'throughput') console.log(await throughputBench(Number(process.env.BENCH_DURATION ?? 15)));
  else console.log(await soakBench(Number(process.env.BENCH_SOAK_SECONDS ?? 300)));
}
