// The real `lifeline run` as the dashboard and scale benchmarks drive it: its API URL,
// the lag of every result it logs, when it started and its CPU and memory read from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../common.js';

export const BIN = join(ROOT, 'packages/prober/bin/lifeline.js');
const TICKS_PER_SECOND = 100;

export interface BenchMonitorOptions {
  /** The CLI to run (another build's bin/lifeline.js to compare); this checkout's by default. */
  readonly bin?: string;
  /** Node flags before the script. */
  readonly nodeArgs?: readonly string[];
  /** Extra environment (NODE_OPTIONS...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Pin the monitor to this CPU (`taskset -c`), all its threads included. */
  readonly cpu?: number;
  /** How long to wait for the "monitor started" line before giving up (ms, default 120 s). */
  readonly startTimeoutMs?: number;
}

export interface BenchMonitor {
  readonly api: string;
  readonly child: ChildProcess;
  /** Time (epoch ms), lag (ms) and check of every result logged, in order. */
  readonly lags: { t: number; lagMs: number; check: string }[];
  /** Stderr lines and error-level log lines. */
  readonly problems: string[];
  /** Milliseconds from spawn to the "monitor started" line (API listening, scheduler started). */
  readonly listeningMs: number;
  /** Milliseconds from spawn to the first result line; undefined while none came. */
  firstResultMs(): number | undefined;
  /** Settles when the process exits, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** User + system CPU seconds the process has used so far. */
  cpuSeconds(): number;
  /** Resident set size now, MB. */
  rssMb(): number;
  /** Peak resident set size of the process's whole life so far (VmHWM), MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Starts `lifeline run --config CONFIG --port 0`; rejects (the process killed) if it exits or never starts. */
export async function startBenchMonitor(config: string, options: BenchMonitorOptions = {}): Promise<BenchMonitor> {
  const node = [process.execPath, ...(options.nodeArgs ?? []), options.bin ?? BIN, 'run', '--config', config];
  const argv = options.cpu === undefined ? node : ['taskset', '-c', String(options.cpu), ...node];
  const spawnedAt = performance.now();
  const child = spawn(argv[0] as string, [...argv.slice(1), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const lags: { t: number; lagMs: number; check: string }[] = [];
  const problems: string[] = [];
  let firstResultAt: number | undefined;
  let started: (url: string) => void = () => {};
  const startedLine = new Promise<string>((resolve) => {
    started = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.includes('"scheduledAt"') && line.includes('"durationMs"')) {
      firstResultAt ??= performance.now();
      const r = JSON.parse(line) as { time: string; scheduledAt: string; check: string };
      const t = Date.parse(r.time);
      lags.push({ t, lagMs: t - Date.parse(r.scheduledAt), check: r.check });
    } else if (line.includes('lifeline monitor started')) started((JSON.parse(line) as { api: string }).api);
    else if (line.includes('"level":50') || line.includes('"level":60')) problems.push(line.slice(0, 300));
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => problems.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000)]);
    child.kill('SIGKILL');
    await exited;
  };
  const api = await Promise.race([
    startedLine,
    exited.then(({ code, signal }) =>
      Promise.reject(
        new Error(`lifeline run exited (${signal ?? `code ${code}`}) before it started: ${problems.join('\n')}`),
      ),
    ),
    sleep(timeoutMs, undefined, { ref: false }).then(() =>
      Promise.reject(new Error(`lifeline run did not start within ${timeoutMs / 1000} s`)),
    ),
  ]).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const listeningMs = performance.now() - spawnedAt;
  const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const status = (field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return {
    api,
    child,
    lags,
    problems,
    listeningMs,
    firstResultMs: () => (firstResultAt === undefined ? undefined : firstResultAt - spawnedAt),
    exited,
    cpuSeconds() {
      const fields = stat();
      // utime and stime are fields 14 and 15 of /proc/PID/stat; after "comm) " they are the 12th and 13th.
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    },
    rssMb: () => status('VmRSS'),
    peakRssMb: () => status('VmHWM'),
    stop,
  };
}
