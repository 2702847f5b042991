// Push checks (issue #11) under load: the real `lifeline run` (compiled, its own
// process, results in SQLite, `--max-old-space-size=HEAP_MB`) with CHECKS push
// checks `every: EVERY_S` (`grace: GRACE_S`), one literal token for all.
// One monitor, one timeline from its start (T0; an `every` push check's first
// expected run is T0 + every, the run at T0 is skipped):
// 1. Idle RSS a few seconds after the start.
// 2. Throughput: autocannon in this process, CONNECTIONS connections for
//    DURATION s, POST /api/v1/push/{check} with the bearer token, the path
//    cycled over the CHECKS - SILENT pinged checks (so each check sees far less
//    than the limiter's 5/s); 200s and 429s counted apart. Before it, the same
//    autocannon against a bare node:http handler (bench/push/bare.ts, its own
//    process) that answers the monitor's exact headers and JSON body. Both
//    servers' CPU from /proc (utime + stime), so "per core" is 1 s ÷ CPU per request.
//    These pings arrive before the first expected run: each counts as an early
//    ping for it (answered `accepted: true`), and decides it when it opens.
// 3. Missed-run detection: the SILENT checks are never pinged. Run 1 (T0 + every):
//    the pinged checks are decided `up` at once when it opens, the silent ones
//    `missed` at its deadline (scheduledAt + grace). Nobody pings run 2: all
//    CHECKS are missed at the same deadline (the worst case: one grid, since
//    every anchor is the monitor's start). Lag of a missed result = when this
//    process read its JSON line (Date.now()) - its `time` (= the deadline); so
//    it includes the stdout pipe and this process's readline, an upper bound.
// 4. RSS (VmRSS) sampled every 250 ms throughout, VmHWM at the end.
// Writes its section of docs/benchmarks.md.
//   npm run bench:push   (BENCH_PUSH_CHECKS=10000, BENCH_PUSH_SILENT=1000, BENCH_PUSH_EVERY=60,
//                         BENCH_PUSH_GRACE=30, BENCH_DURATION=15, BENCH_CONNECTIONS=100)
// BENCH_NODE_ARGS adds node flags to the monitor (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof");
// BENCH_NO_WRITE=1 prints the figures without writing the doc; BENCH_BIN=path/to/lifeline.js runs another build (never written).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { machine, percentile, ROOT, writeSection } from '../common.js';
import { HEAP_MB } from '../prober/throughput.js';

const CHECKS = Number(process.env.BENCH_PUSH_CHECKS ?? 10_000);
const SILENT = Number(process.env.BENCH_PUSH_SILENT ?? 1_000);
const EVERY_S = Number(process.env.BENCH_PUSH_EVERY ?? 60);
const GRACE_S = Number(process.env.BENCH_PUSH_GRACE ?? 30);
const DURATION = Number(process.env.BENCH_DURATION ?? 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const PINGED = CHECKS - SILENT;
const TOKEN = 'bench-push-token-0123456789abcdef';
/** The CLI to run (BENCH_BIN: another build, e.g. before a change; its figures are printed, not written). */
const BIN = process.env.BENCH_BIN ?? join(ROOT, 'packages/prober/bin/lifeline.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children = new Set<ChildProcess>();
const dirs: string[] = [];
const cleanup = () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.length = 0;
};
process.once('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });

// ---- /proc -----------------------------------------------------------------

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, every thread
}

function memory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** Highest VmRSS seen while sampling (every 250 ms). */
function rssSampler(pid: number) {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, memory(pid).rssMb);
    } catch {
      // the process is gone
    }
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

// ---- the monitor -----------------------------------------------------------

interface ResultLine {
  readonly check: string;
  /** The result's `time`: for a missed run, its deadline. */
  readonly t: number;
  readonly scheduledAt: number;
  readonly ok: boolean;
  readonly code: string | undefined;
  /** When this process read the line. */
  readonly readAt: number;
}

function config(dir: string): string {
  const lines = [`storage: ${join(dir, 'push.db')}`, 'checks:'];
  const check = (name: string) =>
    lines.push(
      `  - name: ${name}`,
      '    type: push',
      `    every: ${EVERY_S}s`,
      `    grace: ${GRACE_S}s`,
      `    token: ${TOKEN}`,
    );
  for (let i = 0; i < PINGED; i++) check(`p${i}`);
  for (let i = 0; i < SILENT; i++) check(`m${i}`);
  return lines.join('\n');
}

async function startMonitor() {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-push-'));
  dirs.push(dir);
  const file = join(dir, 'push.yaml');
  writeFileSync(file, config(dir));
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), BIN, 'run', '--config', file, '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` } },
  );
  children.add(child);
  const spawnedAt = Date.now();
  const results: ResultLine[] = [];
  const opened: { check: string; t: number; readAt: number }[] = [];
  const problems: string[] = [];
  let started: (api: string) => void = () => {};
  const startedLine = new Promise<string>((resolve) => {
    started = resolve;
  });
  const output = { lines: 0, bytes: 0 };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const readAt = Date.now();
    output.lines += 1;
    output.bytes += line.length + 1;
    if (line.includes('"scheduledAt"') && line.includes('"durationMs"')) {
      const r = JSON.parse(line) as {
        check: string;
        time: string;
        scheduledAt: string;
        ok: boolean;
        error?: { code?: string };
      };
      results.push({
        check: r.check,
        t: Date.parse(r.time),
        scheduledAt: Date.parse(r.scheduledAt),
        ok: r.ok,
        code: r.error?.code,
        readAt,
      });
      return;
    }
    // With BENCH_NODE_ARGS=--trace-gc, say: what is not a log line, with its arrival (ms after the spawn).
    if (process.env.BENCH_DEBUG_LINES && !line.startsWith('{')) console.log(readAt - spawnedAt, line.slice(0, 200));
    if (line.includes('(incident opened)')) {
      // Logged by the alerting as the result is recorded, stamped with the monitor's own clock.
      const r = JSON.parse(line) as { check: string; time: string };
      opened.push({ check: r.check, t: Date.parse(r.time), readAt });
    } else if (line.includes('lifeline monitor started')) started((JSON.parse(line) as { api: string }).api);
    else if (line.includes('"level":"error"') || line.includes('"level":"fatal"')) problems.push(line.slice(0, 300));
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => problems.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const api = await Promise.race([
    startedLine,
    exited.then(() => Promise.reject(new Error(`lifeline run exited early: ${problems.join('\n')}`))),
    sleep(120_000).then(() => Promise.reject(new Error('lifeline run did not start within 120 s'))),
  ]);
  const pid = child.pid as number;
  return {
    api,
    pid,
    startedAt: Date.now(),
    startupMs: Date.now() - spawnedAt,
    results,
    opened,
    problems,
    output,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
      child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

// ---- the bare handler --------------------------------------------------------

async function startBare(answer: { headers: Record<string, string>; body: string }) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'bare.ts'), JSON.stringify(answer)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await Promise.race([
    new Promise<number>((resolve) =>
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) =>
        resolve((JSON.parse(line) as { port: number }).port),
      ),
    ),
    exited.then(() => Promise.reject(new Error('the bare server exited early'))),
    sleep(30_000).then(() => Promise.reject(new Error('the bare server did not start within 30 s'))),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    async stop() {
      child.stdin?.end();
      await Promise.race([exited, sleep(5_000)]);
      child.kill('SIGKILL');
      children.delete(child);
    },
  };
}

// ---- the load ----------------------------------------------------------------

interface LoadRun {
  readonly requests: number;
  readonly ok: number;
  readonly limited: number;
  readonly other: number;
  readonly errors: number;
  /** 200s per second of the window. */
  readonly perSecond: number;
  /** The server's CPU over the window, as a share of one core. */
  readonly serverCpuShare: number;
  /** The server's CPU per 200, in microseconds. */
  readonly serverCpuPerOkUs: number;
  /** autocannon's own CPU (this process), share of one core. */
  readonly loadCpuShare: number;
  readonly latencyP99Ms: number;
  readonly peakRssMb: number;
}

/** POST {base}/api/v1/push/p{i} with the token for `seconds`, i cycling over the pinged checks (from p0 each call). */
async function load(base: string, serverPid: number, seconds = DURATION): Promise<LoadRun> {
  let next = 0;
  const rss = rssSampler(serverPid);
  const cpu0 = cpuSeconds(serverPid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        setupRequest: (request) => {
          const i = next;
          next = (next + 1) % PINGED;
          return { ...request, path: `/api/v1/push/p${i}` };
        },
      },
    ],
  });
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(serverPid) - cpu0;
  const own = process.cpuUsage(own0);
  const peakRssMb = rss.stop();
  const stats = (result.statusCodeStats ?? {}) as Record<string, { count?: number }>;
  const count = (code: string) => stats[code]?.count ?? 0;
  const ok = count('200');
  const limited = count('429');
  const answered = Object.values(stats).reduce((sum, s) => sum + (s.count ?? 0), 0);
  return {
    requests: result.requests.total,
    ok,
    limited,
    other: answered - ok - limited,
    errors: result.errors,
    perSecond: ok / elapsed,
    serverCpuShare: cpu / elapsed,
    serverCpuPerOkUs: (cpu * 1e6) / Math.max(1, ok),
    loadCpuShare: (own.user + own.system) / 1e6 / elapsed,
    latencyP99Ms: result.latency.p99,
    peakRssMb,
  };
}

// ---- run ----------------------------------------------------------------------

async function until(what: string, boundMs: number, done: () => boolean): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${Math.round(boundMs / 1000)} s`);
    await sleep(100);
  }
}

function spread(xs: number[]) {
  xs.sort((a, b) => a - b);
  return {
    count: xs.length,
    p50: percentile(xs, 0.5),
    p99: percentile(xs, 0.99),
    max: xs.at(-1) ?? Number.NaN,
  };
}

const monitor = await startMonitor();
const peakAll = rssSampler(monitor.pid);
let figures: ReturnType<typeof summarise>;
let answerBytes = 0;

function summarise(
  idle: { rssMb: number; hwmMb: number },
  bare: LoadRun,
  pushed: LoadRun,
  run1: number,
  run2: number,
  end: { rssMb: number; hwmMb: number },
  peakRssMb: number,
  pingsOverlappedRun1: boolean,
) {
  const of = (scheduledAt: number) => monitor.results.filter((r) => r.scheduledAt === scheduledAt);
  const one = of(run1);
  const two = of(run2);
  const missedLag = (rs: ResultLine[]) => spread(rs.filter((r) => r.code === 'missed').map((r) => r.readAt - r.t));
  const upOne = one.filter((r) => r.ok);
  const openedLag = (deadline: number, before: number) => {
    const os = monitor.opened.filter((o) => o.t >= deadline && o.t < before);
    return { monitor: spread(os.map((o) => o.t - deadline)), read: spread(os.map((o) => o.readAt - deadline)) };
  };
  return {
    idle,
    bare,
    pushed,
    run1: {
      up: upOne.length,
      missed: one.filter((r) => r.code === 'missed').length,
      missedSilent: one.filter((r) => r.code === 'missed' && r.check.startsWith('m')).length,
      other: one.filter((r) => !r.ok && r.code !== 'missed').length,
      /** The pinged checks' runs are decided when they open: how long after scheduledAt the lines came. */
      upLag: spread(upOne.map((r) => r.readAt - r.scheduledAt)),
      missedLag: missedLag(one),
    },
    run2: { missed: two.filter((r) => r.code === 'missed').length, missedLag: missedLag(two) },
    /** Incidents opened by a missed run: the monitor's own clock (the line's time) and this process's (reading it), from the deadline. */
    opened1: openedLag(run1 + GRACE_S * 1000, run2 + GRACE_S * 1000),
    opened2: openedLag(run2 + GRACE_S * 1000, Number.POSITIVE_INFINITY),
    output: { ...monitor.output },
    problems: monitor.problems.slice(0, 10),
    end,
    peakRssMb,
    pingsOverlappedRun1,
    startupMs: monitor.startupMs,
    answerBytes,
  };
}

try {
  const t0 = monitor.startedAt;
  await sleep(3_000);
  const idle = memory(monitor.pid);
  // One ping for the exact answer the bare handler repeats.
  const sample = await fetch(`${monitor.api}/api/v1/push/p0`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  const body = await sample.text();
  answerBytes = Buffer.byteLength(body);
  if (sample.status !== 200) throw new Error(`a ping answered ${sample.status}: ${body}`);
  const headers: Record<string, string> = {};
  sample.headers.forEach((value, name) => {
    if (!['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name))
      headers[name] = value;
  });
  const bareServer = await startBare({ headers, body });
  let bare: LoadRun;
  try {
    await load(bareServer.url, bareServer.pid, 2); // warm-up
    bare = await load(bareServer.url, bareServer.pid);
  } finally {
    await bareServer.stop();
  }
  console.log('bare', bare);
  await load(monitor.api, monitor.pid, 2); // warm-up
  const pushed = await load(monitor.api, monitor.pid);
  console.log('monitor', pushed);
  const firstRun = t0 + EVERY_S * 1000;
  const pingsOverlappedRun1 = Date.now() > firstRun - 1000;
  // Run 1: the pinged checks up as it opens, the silent ones missed at its deadline.
  const boundMs = (t: number) => Math.max(0, t - Date.now()) + 60_000;
  const run1At = () => monitor.results[0]?.scheduledAt;
  await until('the first expected run', boundMs(firstRun + GRACE_S * 1000), () => {
    const at = run1At();
    return at !== undefined && monitor.results.filter((r) => r.scheduledAt === at).length >= CHECKS;
  });
  const run1 = run1At() as number;
  const run2 = run1 + EVERY_S * 1000;
  console.log('run 1 decided', new Date(run1).toISOString());
  await until('the second expected run (all missed)', boundMs(run2 + GRACE_S * 1000), () => {
    return monitor.results.filter((r) => r.scheduledAt === run2).length >= CHECKS;
  });
  await sleep(500);
  const end = memory(monitor.pid);
  figures = summarise(idle, bare, pushed, run1, run2, end, peakAll.stop(), pingsOverlappedRun1);
  console.log(JSON.stringify(figures, null, 1));
} finally {
  peakAll.stop();
  await monitor.stop();
  cleanup();
}

// ---- write -------------------------------------------------------------------

const f = figures;
const n = (x: number, digits = 0) =>
  x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
const perCore = (us: number) => 1e6 / us;
const loadRow = (label: string, r: LoadRun) =>
  `| ${label} | ${n(r.perSecond)} | ${n(r.limited)} | ${n(r.other + r.errors)} | ${pct(r.serverCpuShare)} | ${n(r.serverCpuPerOkUs, 1)} µs | ${n(perCore(r.serverCpuPerOkUs))} | ${n(r.latencyP99Ms)} ms | ${pct(r.loadCpuShare)} |`;
const lagRow = (label: string, l: ReturnType<typeof spread>) =>
  `| ${label} | ${n(l.count)} | ${n(l.p50)} | ${n(l.p99)} | ${n(l.max)} |`;
const ratio = f.pushed.perSecond / f.bare.perSecond;
const perCoreRatio = f.bare.serverCpuPerOkUs / f.pushed.serverCpuPerOkUs;

const text = `
## lifeline push checks: pings per core, missed-run detection, RSS

Command: \`npm run bench:push\` (BENCH_PUSH_CHECKS=${CHECKS}, BENCH_PUSH_SILENT=${SILENT}, BENCH_PUSH_EVERY=${EVERY_S}, BENCH_PUSH_GRACE=${GRACE_S}, BENCH_DURATION=${DURATION} s, BENCH_CONNECTIONS=${CONNECTIONS}).
Machine: ${machine()} (a gVisor sandbox with 2 vCPUs: loopback is slow, and the load generator shares the two cores with the server it loads).
The real \`lifeline run\` (compiled, its own process, \`--max-old-space-size=${HEAP_MB}\`, results in SQLite) with ${n(CHECKS)} push checks \`every: ${EVERY_S}s\`, \`grace: ${GRACE_S}s\`, each with a bearer token; it started in ${n(f.startupMs / 1000, 1)} s. autocannon runs in the bench process and sends \`POST /api/v1/push/{check}\` with the token and no body, the path cycled over ${n(PINGED)} checks (each sees about ${n(f.pushed.perSecond / PINGED, 2)} pings/s, under the limiter's 5/s), ${CONNECTIONS} keep-alive connections, ${DURATION} s after 2 s of warm-up. The comparison is the same autocannon run against a bare node:http handler in its own process (bench/push/bare.ts) that reads the request and answers the monitor's exact headers and JSON body (captured from a real ping: ${n(f.answerBytes)} bytes of JSON). CPU of each server is read from /proc (utime + stime, all threads) over the window; per core is 1 s ÷ CPU per accepted request.

### (a) Pings accepted per core

| server | 200/s | 429 | other answers and errors | server CPU, share of one core | server CPU per 200 | per core (1 s ÷ CPU per 200) | latency p99 | autocannon CPU |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${loadRow('bare node:http handler, the same answer', f.bare)}
${loadRow(`\`lifeline run\`, ${n(CHECKS)} push checks`, f.pushed)}

The monitor accepted ${pct(ratio)} of the bare handler's requests/s, and ${pct(perCoreRatio)} of its throughput per core.${f.pingsOverlappedRun1 ? ' (The load ran into the first expected run: some pings decided it.)' : ` The pings arrive before the first expected run (${EVERY_S} s after the start): each is kept as an early ping of it (at most ${4} per check) and answered \`accepted: true\`; a ping into an open run also decides it, which costs one result (logged, stored) per check per run.`}

### (b) Missed-run detection

| lag from the deadline (scheduledAt + grace) | results | p50 ms | p99 ms | max ms |
| --- | ---: | ---: | ---: | ---: |
${lagRow(`run 1, the ${n(SILENT)} checks never pinged: incident opened, the monitor's clock`, f.opened1.monitor)}
${lagRow(`run 1, the same: the missed result's line read by the bench`, f.run1.missedLag)}
${lagRow(`run 2, nobody pinged: incident opened (the ${n(PINGED)} that were up), the monitor's clock`, f.opened2.monitor)}
${lagRow(`run 2, all ${n(CHECKS)} missed at the same deadline: the line read by the bench`, f.run2.missedLag)}
${lagRow(`run 1, the ${n(PINGED)} pinged checks, up as the run opened: the line read, from scheduledAt`, f.run1.upLag)}

Run 1: ${n(f.run1.up)} up, ${n(f.run1.missedSilent)} of the ${n(SILENT)} silent checks missed${f.run1.missed > f.run1.missedSilent ? `, ${n(f.run1.missed - f.run1.missedSilent)} pinged ones missed too` : ''}${f.run1.other > 0 ? `, ${n(f.run1.other)} other` : ''}; run 2: ${n(f.run2.missed)} missed.
Method: two clocks, both this machine's. (1) With the default \`failureThreshold: 1\` a missed run that follows a good one (or the first run) opens an incident, and the alerting logs \`(incident opened)\` as it records the result, stamped with the monitor's own clock (\`time\`): that line's time minus the deadline is the monitor's detection lag. (2) A missed result's own \`time\` is its deadline, so when the bench read that line (Date.now() at readline) minus \`time\` is the lag as a log reader sees it: it adds the log pipeline (pino's asynchronous writes to the stdout pipe, ${n(f.output.lines)} lines and ${n(f.output.bytes / 1e6, 1)} MB over the whole run, about three lines per missed run: incident, notification, result) and the bench's line parsing. Every check's \`every\` grid starts at the monitor's start, so all ${n(CHECKS)} runs open, and all their deadlines fall, at the same instant: run 2 is the worst case.
Goal (issue #11): missed-run detection p99 < 1 s after the grace — ${n(f.run1.missedLag.p99)} ms for the ${n(SILENT)} missed runs (as read from the log; ${n(f.opened1.monitor.p99)} ms on the monitor's clock), ${verdict(f.run1.missedLag.p99 < 1000)}; with all ${n(CHECKS)} missed at once ${n(f.opened2.monitor.p99)} ms on the monitor's clock, ${verdict(f.opened2.monitor.p99 < 1000)}, and ${n(f.run2.missedLag.p99)} ms until a log reader has the line, ${verdict(f.run2.missedLag.p99 < 1000)}.

### (c) RSS of the monitor with ${n(CHECKS)} push checks

| moment | VmRSS |
| --- | ---: |
| idle, 3 s after the start | ${n(f.idle.rssMb)} MB |
| peak under the ping load (sampled every 250 ms) | ${n(f.pushed.peakRssMb)} MB |
| after run 2 (${n(CHECKS)} missed results at once) | ${n(f.end.rssMb)} MB |
| VmHWM (the process's peak) | ${n(f.end.hwmMb)} MB |

What this means: a push check is pinged a few times per run (start, then success or fail), so ${n(CHECKS)} checks \`every: ${EVERY_S}s\` ask for a few hundred pings/s; the monitor accepted ${n(f.pushed.perSecond)}/s here at ${n(f.pushed.serverCpuPerOkUs, 1)} µs of CPU each (${n(perCore(f.pushed.serverCpuPerOkUs))} per core), so pings take a small share of a core at that scale. A ping costs ${n(f.pushed.serverCpuPerOkUs / f.bare.serverCpuPerOkUs, 1)}× a bare answer: the route parses the URL, digests the token (SHA-256, compared in constant time), takes from the check's token bucket, files the ping with its run and answers JSON. Until this bench (2026-11-27), every ping also scanned every configured check three times (the check by name, the set of push-check names built for the limiter, and the limiter's sweep of its buckets, which ran on every ping once each check had one), so a ping cost O(checks): 895 pings/s at 1,098 µs each with 10,000 checks (5,597/s at 141 µs with 1,000), measured with the build before the fix in one run of this bench; the routes now index the checks once per config. A missed run is told within the goal by the monitor when runs miss a few at a time; when all ${n(CHECKS)} miss at once the monitor still decides them within the goal (${n(f.opened2.monitor.p99)} ms p99). Before the fix, each open run had its own deadline timer, so the ${n(CHECKS)} missed results were recorded one turn of the event loop each and the alerting wrote each opened incident in its own SQLite transaction: p99 1,662 ms on the monitor's clock (3,821 ms as read from the log) in the same comparison; runs whose deadlines fall on the same instant now share one timer, are decided in one callback, and their alert changes are written in a couple of transactions. Compaction runs every 30 s from the monitor's start (COMPACT_EVERY_MS in store/upkeep.ts), so with \`every: ${EVERY_S}s\` and \`grace: ${GRACE_S}s\` every deadline falls near one of its ticks; before 2026-11-27 it held the event loop for a few hundred ms and in two of five runs of this bench the missed runs of run 1 waited for it (p50 336 and 423 ms on the monitor's clock, against 31–45 ms); it now yields between chunks of a few ms (see the compaction section). What stays slow is the log: about three JSON lines (1.1 KB) per missed run, so such a burst is ~11 MB of stdout, and on this sandbox a log reader has the last line ${n(f.run2.missedLag.max / 1000, 1)} s after the deadline; notifications do not wait for the log (they leave through the outbox, see the alerting section). RSS with ${n(CHECKS)} push checks (${n(f.idle.rssMb)} MB idle, ${n(f.end.hwmMb)} MB at its peak) stays below the 250 MB the prober's 10,000-check soak is held to, with the heap capped at ${HEAP_MB} MB as in a pod with a 256 MiB limit.
`;

if (process.env.BENCH_NO_WRITE || process.env.BENCH_BIN) console.log(text);
else writeSection('push', text);
process.exit(0);
