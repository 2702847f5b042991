// (a) 1,000 checks against a local keep-alive target, results stored in
// SQLite, against autocannon on the same target with the same number of
// connections. (b) 10,000 checks every 60 s: scheduler lag, RSS and CPU.
//   node --import tsx bench/prober/throughput.ts
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { parseConfig } from '../../packages/prober/src/config/load.js';
import { startMonitor } from '../../packages/prober/src/main.js';
import { percentile, ROOT, startTarget } from '../common.js';

/** Counts result lines (and collects lag) without parsing every line. */
function resultCounter(collectLag: boolean) {
  let results = 0;
  const lags: number[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line.includes('"durationMs"')) continue;
        results += 1;
        if (collectLag) {
          const r = JSON.parse(line) as { time: string; scheduledAt?: string };
          if (r.scheduledAt) lags.push(Date.parse(r.time) - Date.parse(r.scheduledAt));
        }
      }
      done();
    },
  });
  return { logger: pino({ base: null }, stream), count: () => results, lags };
}

function config(checks: number, every: string, url: string, extra: string, dir: string): string {
  const lines = [`storage: ${join(dir, 'bench.db')}`, 'scheduler:', `  concurrency: ${extra}`, 'checks:'];
  for (let i = 0; i < checks; i++)
    lines.push(`  - name: c${i}`, `    url: ${url}?c=${i}`, `    every: ${every}`, '    timeout: 5s');
  return lines.join('\n');
}

export async function throughputBench(durationS: number, connections: number) {
  const target = await startTarget();
  try {
    const keepAlive = await autocannon({ url: target.url, connections, duration: durationS });
    const fresh = await autocannon({
      url: target.url,
      connections,
      duration: durationS,
      headers: { connection: 'close' },
    });
    // The same load the schedule asks for: 1,000 requests/s over the same connections.
    const paced = await autocannon({ url: target.url, connections, duration: durationS, overallRate: 1000 });
    const measure = async (every: string) => {
      const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-run-'));
      const counter = resultCounter(false);
      const monitor = await startMonitor({
        config: parseConfig(config(1000, every, target.url, String(connections), dir), { file: 'bench.yaml', env: {} }),
        logger: counter.logger,
        port: 0,
      });
      await new Promise((r) => setTimeout(r, 2_000)); // warm-up
      const before = counter.count();
      const cpu0 = process.cpuUsage();
      await new Promise((r) => setTimeout(r, durationS * 1000));
      const cpu = process.cpuUsage(cpu0);
      const done = counter.count() - before;
      await monitor.stop();
      return { perSecond: done / durationS, cpuShare: (cpu.user + cpu.system) / 1e6 / durationS };
    };
    const scheduled = await measure('1s');
    const saturated = await measure('100ms');
    return {
      autocannonKeepAlive: keepAlive.requests.average,
      autocannonFresh: fresh.requests.average,
      autocannonPaced: paced.requests.average,
      scheduled,
      saturated,
    };
  } finally {
    target.child.kill();
  }
}

/** The old-space cap of the soak run: what Node gives itself in a pod with a 256 MiB memory limit. */
export const HEAP_MB = 128;

/** RSS (bytes) and CPU time (s) of a process, from /proc: the real CLI, measured from outside. */
function procStats(pid: number): { rss: number; cpu: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return { rss, cpu: ticks / 100 };
}

export async function soakBench(durationS: number) {
  const target = await startTarget();
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-soak-'));
  try {
    // 10,000 checks every 60 s, spread by a 60 s jitter as one would configure it.
    const text = config(10_000, '60s', target.url, '256', dir).replace(
      / {4}timeout: 5s/g,
      '    timeout: 5s\n    jitter: 60s',
    );
    const file = join(dir, 'soak.yaml');
    writeFileSync(file, text);
    // The real CLI, compiled, as `lifeline run` runs in a pod. With a 256 MiB
    // memory limit Node sizes its heap from the cgroup; without one (this
    // machine has 24 GiB) V8 lets garbage pile up to hundreds of MB before a
    // full collection. The old space is capped as such a pod would cap it.
    const child = spawn(
      process.execPath,
      [join(ROOT, 'packages/prober/bin/lifeline.js'), 'run', '--config', file, '--port', '0'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
      },
    );
    const lags: number[] = [];
    let results = 0;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.includes('"durationMs"')) return;
      results += 1;
      const r = JSON.parse(line) as { time: string; scheduledAt?: string };
      if (r.scheduledAt) lags.push(Date.parse(r.time) - Date.parse(r.scheduledAt));
    });
    await new Promise((r) => setTimeout(r, 3_000)); // start-up: config load, store open
    const start = procStats(child.pid as number);
    const t0 = Date.now();
    let peakRss = start.rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, procStats(child.pid as number).rss);
    }, 1000);
    await new Promise((r) => setTimeout(r, durationS * 1000));
    clearInterval(sampler);
    const end = procStats(child.pid as number);
    const elapsed = (Date.now() - t0) / 1000;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    lags.sort((a, b) => a - b);
    return {
      results,
      perSecond: results / elapsed,
      lagP50: percentile(lags, 0.5),
      lagP99: percentile(lags, 0.99),
      lagMax: lags.at(-1) ?? Number.NaN,
      peakRssMb: peakRss / 1_048_576,
      cpuShare: (end.cpu - start.cpu) / elapsed,
    };
  } finally {
    target.child.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const which = process.argv[2] ?? 'throughput';
  if (which === 'throughput')
    console.log(
      await throughputBench(Number(process.env.BENCH_DURATION ?? 10), Number(process.env.BENCH_CONNECTIONS ?? 100)),
    );
  else console.log(await soakBench(Number(process.env.BENCH_SOAK_SECONDS ?? 300)));
}
