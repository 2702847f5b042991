// Benchmark of @lifeline/health against a bare node:http server sending the
// same bytes, @godaddy/terminus and lightship, and of the real apps/api (its
// probes, and GET / as the normal traffic whose latency the probe path must not change). Each target runs in its own
// process; autocannon drives it from this one. Rounds rotate the order, and
// each figure is the median over rounds. Writes docs/benchmarks.md.
//   npm run bench:health            (BENCH_DURATION=5 BENCH_ROUNDS=3 by default)
//   BENCH_CASES=api,bare npm run bench:health   only the cases whose name contains one of these (no docs written)
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { machine, median, ROOT, writeSection } from '../common.js';
import { procStats } from '../prober/throughput.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ONLY = process.env.BENCH_CASES?.split(',').filter(Boolean);

interface Case {
  readonly name: string;
  readonly variant: 'bare' | 'lifeline' | 'terminus' | 'lightship' | 'api';
  readonly path: string;
  readonly note: string;
}

const CASES: Case[] = [
  { name: 'bare node:http (same bytes)', variant: 'bare', path: '/livez', note: 'baseline: 200 "ok", same headers' },
  {
    name: '@lifeline/health /livez',
    variant: 'lifeline',
    path: '/livez',
    note: 'process only; the Redis readiness check still refreshes every 5 s in the background',
  },
  { name: '@lifeline/health /readyz', variant: 'lifeline', path: '/readyz', note: 'Redis check, cached (TTL 5 s)' },
  {
    name: 'apps/api /livez',
    variant: 'api',
    path: '/livez',
    note: 'the real app (Express 5 + pino-http): probes answered before Express, not access-logged',
  },
  { name: 'apps/api /readyz', variant: 'api', path: '/readyz', note: 'the same, Redis and event-loop checks cached' },
  {
    name: 'apps/api GET / (normal traffic)',
    variant: 'api',
    path: '/',
    note: 'through Express and pino-http, one access-log line each (to /dev/null)',
  },
  { name: '@godaddy/terminus /readyz', variant: 'terminus', path: '/readyz', note: 'Redis PING on every request' },
  {
    name: 'lightship /ready',
    variant: 'lightship',
    path: '/ready',
    note: 'separate port; no checks, app polls Redis every 5 s',
  },
];

async function startTarget(variant: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/health/server.ts'), variant], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production', ROARR_LOG: 'false' },
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { port?: number };
        if (parsed.port) resolve(parsed.port);
      } catch {
        // a log line of the target
      }
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code} before listening`)));
  });
  return { child, port };
}

function dependencyCalls(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { dependencyCalls: number }) => resolve(m.dependencyCalls));
    child.send('report');
  });
}

interface Sample {
  readonly rps: number;
  readonly depPerSec: number;
  readonly errors: number;
  readonly mean: number;
  readonly p99: number;
  /** The target's CPU (every thread) per answered request: steadier than requests/s on a shared machine. */
  readonly cpuPerRequestUs: number;
}

async function measure(c: Case): Promise<Sample> {
  const { child, port } = await startTarget(c.variant);
  try {
    const url = `http://127.0.0.1:${port}${c.path}`;
    await autocannon({ url, connections: CONNECTIONS, duration: 1 }); // warm-up
    const before = await dependencyCalls(child);
    const cpuBefore = procStats(child.pid as number).cpu;
    const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
    const cpuAfter = procStats(child.pid as number).cpu;
    const after = await dependencyCalls(child);
    return {
      rps: result.requests.average,
      depPerSec: (after - before) / DURATION,
      errors: result.errors + result.timeouts + result.non2xx,
      mean: result.latency.mean,
      p99: result.latency.p99,
      cpuPerRequestUs: ((cpuAfter - cpuBefore) * 1e6) / Math.max(1, result.requests.total),
    };
  } finally {
    child.kill('SIGKILL');
  }
}

interface Samples {
  rps: number[];
  dep: number[];
  mean: number[];
  p99: number[];
  cpu: number[];
  errors: number;
}
const RUN = ONLY ? CASES.filter((c) => ONLY.some((o) => c.name.includes(o))) : CASES;
const samples = new Map<string, Samples>();
for (let round = 0; round < ROUNDS; round++) {
  const order = RUN.map((_, i) => RUN[(i + round) % RUN.length] as Case);
  for (const c of order) {
    const r = await measure(c);
    const s = samples.get(c.name) ?? { rps: [], dep: [], mean: [], p99: [], cpu: [], errors: 0 };
    s.rps.push(r.rps);
    s.dep.push(r.depPerSec);
    s.mean.push(r.mean);
    s.p99.push(r.p99);
    s.cpu.push(r.cpuPerRequestUs);
    s.errors += r.errors;
    samples.set(c.name, s);
    console.log(
      `round ${round + 1} ${c.name}: ${Math.round(r.rps)} req/s, mean ${r.mean.toFixed(2)} ms, p99 ${r.p99} ms, ${r.cpuPerRequestUs.toFixed(1)} µs CPU/request, ${r.depPerSec.toFixed(1)} dependency calls/s`,
    );
  }
}
if (ONLY) process.exit(0);

const bare = median(samples.get(CASES[0]?.name as string)?.rps ?? []);
const bareCpu = median(samples.get(CASES[0]?.name as string)?.cpu ?? []);
const rows = CASES.map((c) => {
  const s = samples.get(c.name) as Samples;
  const rps = median(s.rps);
  return `| ${c.name} | ${Math.round(rps).toLocaleString('en-US')} | ${((rps / bare) * 100).toFixed(1)}% | ${median(s.mean).toFixed(2)} / ${median(s.p99)} | ${median(s.cpu).toFixed(1)} (${((bareCpu / median(s.cpu)) * 100).toFixed(0)}%) | ${median(s.dep).toFixed(1)} | ${s.errors} | ${c.note} |`;
});
const ratio = (name: string) => median(samples.get(name)?.rps ?? []) / bare;
const cpuRatio = (name: string) => bareCpu / median(samples.get(name)?.cpu ?? []);
const livez = ratio('@lifeline/health /livez');
const readyz = ratio('@lifeline/health /readyz');
const apiLivez = ratio('apps/api /livez');
const apiReadyz = ratio('apps/api /readyz');
const verdict = (...xs: number[]) => (xs.every((x) => x >= 0.9) ? 'met' : 'NOT met');

const section = `
## @lifeline/health: probe throughput and dependency load

Command: \`npm run bench:health\` (BENCH_DURATION=${DURATION} s per run, BENCH_ROUNDS=${ROUNDS}, ${CONNECTIONS} keep-alive connections, autocannon 8).
Each target runs alone in its own process; rounds rotate the order; figures are medians over the rounds.
Machine: ${machine()}.
The dependency is a real Redis on 127.0.0.1:6379 (PING), counted in each target.

| target | requests/s | vs bare | latency mean / p99 (ms) | target CPU µs/request (bare's as % of it) | dependency calls/s under that load | errors | notes |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |
${rows.join('\n')}

Target: \`/livez\` and a cached \`/readyz\` at >= 90% of bare. Measured: /livez ${(livez * 100).toFixed(1)}%, /readyz ${(readyz * 100).toFixed(1)}% — ${verdict(livez, readyz)}.
Target (issue 14, goal 4): the same through the real apps/api, whose probes are answered before Express and
not access-logged (\`LOG_LEVEL=debug\` logs them). Measured: /livez ${(apiLivez * 100).toFixed(1)}%, /readyz ${(apiReadyz * 100).toFixed(1)}% — ${verdict(apiLivez, apiReadyz)};
by the target's CPU per request, which the machine's other load disturbs less: /livez ${(cpuRatio('apps/api /livez') * 100).toFixed(0)}%, /readyz ${(cpuRatio('apps/api /readyz') * 100).toFixed(0)}% of bare's efficiency.
Its normal traffic (\`GET /\`) still goes through Express and pino-http: compare its latency with the same row
of an earlier run of this bench (before issue 14 it was the path every probe took too).
@godaddy/terminus runs its check on every probe request, so its dependency load equals the probe rate;
@lifeline/health serves probes from the cache, one dependency call per TTL whatever the probe rate.
Ratios are what this benchmark is for; absolute requests/s depend on the machine and on autocannon sharing its 2 cores.
`;

writeSection('health', section);
console.log(section);
