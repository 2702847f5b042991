// Benchmark of @lifeline/health against a bare node:http server sending the
// same bytes, @godaddy/terminus and lightship. Each target runs in its own
// process; autocannon drives it from this one. Rounds rotate the order, and
// each figure is the median over rounds. Writes docs/benchmarks.md.
//   npm run bench:health            (BENCH_DURATION=5 BENCH_ROUNDS=3 by default)
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { machine, ROOT, writeSection } from '../common.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Case {
  readonly name: string;
  readonly variant: 'bare' | 'lifeline' | 'terminus' | 'lightship';
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

async function measure(c: Case): Promise<{ rps: number; depPerSec: number; errors: number }> {
  const { child, port } = await startTarget(c.variant);
  try {
    const url = `http://127.0.0.1:${port}${c.path}`;
    await autocannon({ url, connections: CONNECTIONS, duration: 1 }); // warm-up
    const before = await dependencyCalls(child);
    const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
    const after = await dependencyCalls(child);
    return {
      rps: result.requests.average,
      depPerSec: (after - before) / DURATION,
      errors: result.errors + result.timeouts + result.non2xx,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const samples = new Map<string, { rps: number[]; dep: number[]; errors: number }>();
for (let round = 0; round < ROUNDS; round++) {
  const order = CASES.map((_, i) => CASES[(i + round) % CASES.length] as Case);
  for (const c of order) {
    const r = await measure(c);
    const s = samples.get(c.name) ?? { rps: [], dep: [], errors: 0 };
    s.rps.push(r.rps);
    s.dep.push(r.depPerSec);
    s.errors += r.errors;
    samples.set(c.name, s);
    console.log(
      `round ${round + 1} ${c.name}: ${Math.round(r.rps)} req/s, ${r.depPerSec.toFixed(1)} dependency calls/s`,
    );
  }
}

const bare = median(samples.get(CASES[0]?.name as string)?.rps ?? []);
const rows = CASES.map((c) => {
  const s = samples.get(c.name) as { rps: number[]; dep: number[]; errors: number };
  const rps = median(s.rps);
  return `| ${c.name} | ${Math.round(rps).toLocaleString('en-US')} | ${((rps / bare) * 100).toFixed(1)}% | ${median(s.dep).toFixed(1)} | ${s.errors} | ${c.note} |`;
});
const livez = median(samples.get(CASES[1]?.name as string)?.rps ?? []) / bare;
const readyz = median(samples.get(CASES[2]?.name as string)?.rps ?? []) / bare;

const section = `
## @lifeline/health: probe throughput and dependency load

Command: \`npm run bench:health\` (BENCH_DURATION=${DURATION} s per run, BENCH_ROUNDS=${ROUNDS}, ${CONNECTIONS} keep-alive connections, autocannon 8).
Each target runs alone in its own process; rounds rotate the order; figures are medians over the rounds.
Machine: ${machine()}.
The dependency is a real Redis on 127.0.0.1:6379 (PING), counted in each target.

| target | requests/s | vs bare | dependency calls/s under that load | errors | notes |
| --- | ---: | ---: | ---: | ---: | --- |
${rows.join('\n')}

Target: \`/livez\` and a cached \`/readyz\` at >= 90% of bare. Measured: /livez ${(livez * 100).toFixed(1)}%, /readyz ${(readyz * 100).toFixed(1)}% — ${livez >= 0.9 && readyz >= 0.9 ? 'met' : 'NOT met'}.
@godaddy/terminus runs its check on every probe request, so its dependency load equals the probe rate;
@lifeline/health serves probes from the cache, one dependency call per TTL whatever the probe rate.
Ratios are what this benchmark is for; absolute requests/s depend on the machine and on autocannon sharing its 2 cores.
`;

writeSection('health', section);
console.log(section);
