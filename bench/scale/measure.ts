// One measurement of the scale bench: the real `lifeline run` with N http checks `every: 60s`
// (jitter 60s), results in SQLite in a temp dir, pinned to one CPU; start-up, then a window
// after a warm-up: RSS (sampled from /proc each second), CPU, scheduler lag, results/s.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../common.js';
import { type BenchMonitor, startBenchMonitor } from '../dashboard/monitor.js';
import { checksConfig } from '../prober/throughput.js';

export interface Scenario {
  readonly checks: number;
  readonly keepAlive: boolean;
  /** The checks' `every` and `jitter`, seconds (60 unless the spec says `:every=S`). */
  readonly everyS: number;
  /** NODE_OPTIONS=--max-old-space-size=heapMb, as the monitor's pods set it; Node's own sizing when undefined. */
  readonly heapMb?: number;
  /** MALLOC_ARENA_MAX, as the image sets it; glibc's default (8 per core) when undefined. */
  readonly mallocArenas?: number;
}

export interface Settings {
  readonly warmupS: number;
  readonly windowS: number;
  readonly startTimeoutS: number;
  /** The CPU the monitor is pinned to; undefined: not pinned. */
  readonly cpu: number | undefined;
  readonly nodeArgs: readonly string[];
}

export interface Measurement {
  readonly scenario: Scenario;
  readonly build: string;
  /** Why there are no figures (the monitor died or never started); undefined when it ran. */
  readonly failed?: string;
  readonly listeningMs?: number;
  readonly firstResultMs?: number;
  readonly rssMedianMb?: number;
  readonly rssPeakMb?: number;
  /** VmHWM at the window's end: the peak of the process's whole life, loading included. */
  readonly lifePeakMb?: number;
  readonly cpuShare?: number;
  readonly lagP50?: number;
  readonly lagP99?: number;
  readonly lagMax?: number;
  readonly results?: number;
  readonly perSecond?: number;
  readonly expectedPerSecond: number;
  /** Distinct checks that logged a result in the window. */
  readonly checksSeen?: number;
  readonly problems?: readonly string[];
}

const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** Resolves after ms, or rejects as soon as the monitor exits. */
async function whileAlive(monitor: BenchMonitor, ms: number, what: string): Promise<void> {
  await Promise.race([
    sleep(ms),
    monitor.exited.then(({ code, signal }) =>
      Promise.reject(
        new Error(
          `lifeline run exited (${signal ?? `code ${code}`}) during the ${what}: ${monitor.problems.slice(-5).join(' | ')}`,
        ),
      ),
    ),
  ]);
}

/** The window: samples RSS each second and reads CPU and results at both ends. */
async function window(monitor: BenchMonitor, seconds: number) {
  const cpu0 = monitor.cpuSeconds();
  const first = monitor.lags.length;
  const t0 = performance.now();
  const rss: number[] = [monitor.rssMb()];
  for (let i = 0; i < seconds; i++) {
    await whileAlive(monitor, 1000, 'window');
    rss.push(monitor.rssMb());
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = monitor.cpuSeconds() - cpu0;
  const inWindow = monitor.lags.slice(first);
  const lags = inWindow.map((r) => r.lagMs).sort((a, b) => a - b);
  return {
    rssMedianMb: median(rss),
    rssPeakMb: Math.max(...rss),
    lifePeakMb: monitor.peakRssMb(),
    cpuShare: cpu / elapsed,
    lagP50: percentile(lags, 0.5),
    lagP99: percentile(lags, 0.99),
    lagMax: lags.at(-1) ?? Number.NaN,
    results: inWindow.length,
    perSecond: inWindow.length / elapsed,
    checksSeen: new Set(inWindow.map((r) => r.check)).size,
  };
}

/** Runs one scenario with one build; never throws: a monitor that dies or never starts is a row saying so. */
export async function measure(
  scenario: Scenario,
  build: { label: string; bin: string },
  targetUrl: string,
  settings: Settings,
  onMonitor: (monitor: BenchMonitor | undefined) => void,
): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-scale-'));
  const config = join(dir, 'lifeline.yaml');
  writeFileSync(
    config,
    checksConfig(targetUrl, dir, {
      count: scenario.checks,
      every: `${scenario.everyS}s`,
      jitter: `${scenario.everyS}s`,
      keepAlive: scenario.keepAlive,
    }),
  );
  const base = { scenario, build: build.label, expectedPerSecond: scenario.checks / scenario.everyS };
  let monitor: BenchMonitor | undefined;
  try {
    monitor = await startBenchMonitor(config, {
      bin: build.bin,
      ...(settings.cpu === undefined ? {} : { cpu: settings.cpu }),
      startTimeoutMs: settings.startTimeoutS * 1000,
      nodeArgs: settings.nodeArgs,
      env: {
        ...(scenario.heapMb === undefined ? {} : { NODE_OPTIONS: `--max-old-space-size=${scenario.heapMb}` }),
        ...(scenario.mallocArenas === undefined ? {} : { MALLOC_ARENA_MAX: String(scenario.mallocArenas) }),
      },
    });
    onMonitor(monitor);
    await whileAlive(monitor, settings.warmupS * 1000, 'warm-up');
    const figures = await window(monitor, settings.windowS);
    const firstResultMs = monitor.firstResultMs();
    return {
      ...base,
      ...figures,
      listeningMs: monitor.listeningMs,
      ...(firstResultMs === undefined ? {} : { firstResultMs }),
      problems: monitor.problems.slice(0, 10),
    };
  } catch (error) {
    return { ...base, failed: (error as Error).message.slice(0, 500), problems: monitor?.problems.slice(-10) ?? [] };
  } finally {
    await monitor?.stop();
    onMonitor(undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
