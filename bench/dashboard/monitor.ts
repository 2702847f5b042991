// The real `lifeline run` as the dashboard benchmark drives it: its API URL,
// the lag of every result it logs, and its CPU time read from /proc.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../common.js';

const BIN = join(ROOT, 'packages/prober/bin/lifeline.js');
const TICKS_PER_SECOND = 100;

export interface BenchMonitor {
  readonly api: string;
  readonly child: ChildProcess;
  /** Time (epoch ms) and lag (ms) of every result logged, in order. */
  readonly lags: { t: number; lagMs: number }[];
  /** Stderr lines and error-level log lines. */
  readonly problems: string[];
  /** User + system CPU seconds the process has used so far. */
  cpuSeconds(): number;
  /** Resident set size now, MB. */
  rssMb(): number;
  stop(): Promise<void>;
}

export async function startBenchMonitor(config: string): Promise<BenchMonitor> {
  const child = spawn(process.execPath, [BIN, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lags: { t: number; lagMs: number }[] = [];
  const problems: string[] = [];
  let started: (url: string) => void = () => {};
  const startedLine = new Promise<string>((resolve) => {
    started = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line.includes('"scheduledAt"') && line.includes('"durationMs"')) {
      const r = JSON.parse(line) as { time: string; scheduledAt: string };
      const t = Date.parse(r.time);
      lags.push({ t, lagMs: t - Date.parse(r.scheduledAt) });
    } else if (line.includes('lifeline monitor started')) started((JSON.parse(line) as { api: string }).api);
    else if (line.includes('"level":50') || line.includes('"level":60')) problems.push(line.slice(0, 300));
  });
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => problems.push(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const api = await Promise.race([
    startedLine,
    exited.then(() => Promise.reject(new Error(`lifeline run exited early: ${problems.join('\n')}`))),
    sleep(120_000).then(() => Promise.reject(new Error('lifeline run did not start within 120 s'))),
  ]);
  const stat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return {
    api,
    child,
    lags,
    problems,
    cpuSeconds() {
      const fields = stat();
      // utime and stime are fields 14 and 15 of /proc/PID/stat; after "comm) " they are the 12th and 13th.
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    },
    rssMb() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000)]);
      child.kill('SIGKILL');
    },
  };
}
