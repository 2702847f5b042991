// The processes bench:blackbox starts: the target, Prometheus blackbox_exporter with the
// driver that asks it for probes at a fixed rate, and `lifeline run` with checks that add up to
// the same rate. Each is its own process, stopped by the bench (see `children`).
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import http from 'node:http';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from '../common.js';
import { HEAP_MB } from '../prober/throughput.js';

/** Every child the bench starts, killed on any way out (see run.ts). */
export const children = new Set<ChildProcess>();

/** Longest wait for a process to say it is ready, or to exit once asked. */
const READY_BOUND_MS = 15_000;
const EXIT_BOUND_MS = 10_000;
/** Each probe's bound, on both sides; the target answers in well under a millisecond. */
export const PROBE_TIMEOUT_S = 1;
/** Probes the driver lets the exporter run at once; more are counted as missed, as Prometheus skips a scrape. */
const DRIVER_CONCURRENCY = 16;
/** Lifeline's checks each run once per this interval, so rate × EVERY_S checks make the rate. */
export const EVERY_S = 1;

export interface Prober {
  readonly pid: number;
  /** Probes finished so far: passed, failed, and (the exporter's driver) not sent because too many were in flight. */
  counts(): { readonly passed: number; readonly failed: number; readonly missed: number };
  stop(): Promise<void>;
}

export interface Target {
  readonly pid: number;
  readonly url: string;
  stats(): Promise<{ connections: number; requests: number; cpuUs: number }>;
  stop(): Promise<void>;
}

function withBound<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** Resolves when the child has exited, or could not be started at all (its 'error' is then logged). */
function track(child: ChildProcess): Promise<void> {
  children.add(child);
  return new Promise<void>((resolve) => {
    const gone = () => {
      children.delete(child);
      resolve();
    };
    child.once('exit', gone);
    child.once('error', (error) => {
      console.error(`${child.spawnfile}: ${error.message}`);
      gone();
    });
  });
}

/** SIGTERM, then SIGKILL if it has not exited within the bound. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  child.kill('SIGTERM');
  try {
    await withBound(exited, EXIT_BOUND_MS, `${child.spawnfile} to exit`);
  } catch {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * The first line matching `pattern` on `stream`, before the process exits, within the bound.
 * Every line, that one included, also goes to `onLine`: the stream keeps being read.
 */
function firstLine(
  stream: NodeJS.ReadableStream,
  pattern: RegExp,
  exited: Promise<void>,
  what: string,
  onLine: (line: string) => void = () => {},
): Promise<RegExpExecArray> {
  const seen = new Promise<RegExpExecArray>((resolve) => {
    createInterface({ input: stream }).on('line', (line) => {
      onLine(line);
      const match = pattern.exec(line);
      if (match) resolve(match);
    });
  });
  const early = exited.then(() => Promise.reject(new Error(`${what} exited before it was ready`)));
  return withBound(Promise.race([seen, early]), READY_BOUND_MS, `${what} to start`);
}

export async function startTarget(): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'target.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = track(child);
  const replies: ((line: string) => void)[] = [];
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const port = await withBound(
    new Promise<number>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line).port as number))),
    READY_BOUND_MS,
    'the target to listen',
  );
  lines.on('line', (line) => replies.shift()?.(line));
  return {
    pid: child.pid as number,
    url: `http://127.0.0.1:${port}/healthcheck`,
    stats: () =>
      withBound(
        new Promise((resolve) => {
          replies.push((line) => resolve(JSON.parse(line)));
          child.stdin?.write('stats\n');
        }),
        EXIT_BOUND_MS,
        "the target's counts",
      ),
    async stop() {
      child.stdin?.end();
      await terminate(child, exited);
    },
  };
}

/** A module that probes over HTTP and passes on 2xx; blackbox_exporter opens a new connection for each probe. */
function exporterConfig(): string {
  return [
    'modules:',
    '  http_2xx:',
    '    prober: http',
    `    timeout: ${PROBE_TIMEOUT_S}s`,
    '    http:',
    '      method: GET',
    '      preferred_ip_protocol: ip4',
    '      ip_protocol_fallback: false',
    '',
  ].join('\n');
}

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * The executable of blackbox_exporter: $BLACKBOX_EXPORTER, else Debian's or upstream's name on
 * the PATH; or why there is none.
 */
export function findExporter(): { readonly binary: string } | { readonly missing: string } {
  const given = process.env.BLACKBOX_EXPORTER;
  if (given)
    return executable(given) ? { binary: given } : { missing: `BLACKBOX_EXPORTER=${given} is not an executable file` };
  for (const name of ['prometheus-blackbox-exporter', 'blackbox_exporter']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
      if (executable(join(dir, name))) return { binary: join(dir, name) };
    }
  }
  return { missing: 'neither prometheus-blackbox-exporter nor blackbox_exporter is on the PATH' };
}

/**
 * Starts blackbox_exporter on 127.0.0.1 (a port of its choosing, read from its log) and a driver
 * in this process that asks it for `rate` probes a second of `targetUrl`, as Prometheus would
 * scrape /probe: over keep-alive connections, with the scrape-timeout header.
 */
export async function startExporter(binary: string, dir: string, targetUrl: string, rate: number): Promise<Prober> {
  const file = join(dir, 'blackbox.yml');
  writeFileSync(file, exporterConfig());
  const child = spawn(binary, [`--config.file=${file}`, '--web.listen-address=127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = track(child);
  const log: string[] = [];
  const keep = (line: string) => log.push(line) > 20 && log.shift();
  const listening = /msg="Listening on" address=(\S+)/;
  const [, address] = await firstLine(child.stderr as NodeJS.ReadableStream, listening, exited, binary, keep).catch(
    (error: Error) => Promise.reject(new Error(`${error.message}; its last lines:\n${log.join('\n')}`)),
  );
  const probeUrl = `http://${address}/probe?module=http_2xx&target=${encodeURIComponent(targetUrl)}`;
  const driver = startDriver(probeUrl, rate);
  return {
    pid: child.pid as number,
    counts: driver.counts,
    async stop() {
      await driver.stop();
      await terminate(child, exited);
    },
  };
}

function startDriver(probeUrl: string, rate: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: DRIVER_CONCURRENCY });
  let sent = 0;
  let passed = 0;
  let failed = 0;
  let missed = 0;
  let inFlight = 0;
  let drained: () => void = () => {};
  const probe = () =>
    new Promise<boolean>((resolve) => {
      const req = http.get(probeUrl, { agent, headers: { 'x-prometheus-scrape-timeout-seconds': '5' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(res.statusCode === 200 && /^probe_success 1$/m.test(body)));
        res.on('error', () => resolve(false));
      });
      req.setTimeout(5_000, () => req.destroy());
      req.on('error', () => resolve(false));
    });
  const started = performance.now();
  // A fixed rate whatever the answers' latency: each tick sends what the clock says is due.
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      if (inFlight >= DRIVER_CONCURRENCY) {
        missed += 1;
        continue;
      }
      inFlight += 1;
      void probe().then((ok) => {
        if (ok) passed += 1;
        else failed += 1;
        inFlight -= 1;
        if (inFlight === 0) drained();
      });
    }
  }, 2);
  return {
    counts: () => ({ passed, failed, missed }),
    async stop() {
      clearInterval(tick);
      if (inFlight > 0)
        await withBound(new Promise<void>((resolve) => (drained = resolve)), EXIT_BOUND_MS, 'the probes in flight');
      agent.destroy();
    },
  };
}

/** `rate` checks' worth of config: each `every: 1s`, a new connection per run, spread over the second. */
function lifelineConfig(targetUrl: string, rate: number): string {
  const lines = ['storage: none', 'server:', '  host: 127.0.0.1', 'checks:'];
  for (let i = 0; i < rate * EVERY_S; i++) {
    lines.push(
      `  - name: c${i}`,
      `    url: ${targetUrl}`,
      `    every: ${EVERY_S}s`,
      `    jitter: ${EVERY_S}s`,
      `    timeout: ${PROBE_TIMEOUT_S}s`,
      '    keepAlive: false',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The real `lifeline run` (compiled, as in the image), its results counted from its JSON lines;
 * `bin` another build of it (BENCH_COMPARE_REV).
 * BENCH_NODE_ARGS adds node flags, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
 */
export async function startLifeline(
  dir: string,
  targetUrl: string,
  rate: number,
  bin = join(ROOT, 'packages/prober/bin/lifeline.js'),
): Promise<Prober> {
  const file = join(dir, 'lifeline.yaml');
  writeFileSync(file, lifelineConfig(targetUrl, rate));
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), bin, 'run', '--config', file, '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
    },
  );
  const exited = track(child);
  let passed = 0;
  let failed = 0;
  await firstLine(child.stdout as NodeJS.ReadableStream, /lifeline monitor started/, exited, 'lifeline run', (line) => {
    if (!line.includes('"durationMs"')) return;
    if (line.includes('"ok":true')) passed += 1;
    else failed += 1;
  });
  return {
    pid: child.pid as number,
    counts: () => ({ passed, failed, missed: 0 }),
    stop: () => terminate(child, exited),
  };
}
