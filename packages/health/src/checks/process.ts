import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { CheckDefinition } from '../health.js';
import type { CheckValue } from '../runner.js';

export interface EventLoopDelayOptions {
  /** p99 delay above this warns (ms, default 100). */
  readonly warnMs?: number;
  /** p99 delay above this fails (ms, default 1000). */
  readonly failMs?: number;
  readonly critical?: boolean;
  /** Also part of /livez (default false: a loaded loop should shed traffic, not restart). */
  readonly liveness?: boolean;
}

/**
 * The event loop's p99 delay since the previous run (perf_hooks). A loop that
 * is blocked for long makes every request slow; readiness failing moves
 * traffic to other replicas.
 */
export function eventLoopDelayCheck(options: EventLoopDelayOptions = {}): CheckDefinition {
  const warnMs = options.warnMs ?? 100;
  const failMs = options.failMs ?? 1_000;
  if (!(warnMs > 0 && failMs >= warnMs)) throw new TypeError('eventLoopDelayCheck: need 0 < warnMs <= failMs');
  let histogram: IntervalHistogram | undefined;
  return {
    critical: options.critical ?? true,
    liveness: options.liveness ?? false,
    componentType: 'system',
    run: (): CheckValue => {
      if (!histogram) {
        histogram = monitorEventLoopDelay({ resolution: 10 });
        histogram.enable();
        return { measurement: 'delay', observedValue: 0, observedUnit: 'ms' };
      }
      const p99 = Math.round((histogram.percentile(99) / 1e6) * 10) / 10;
      histogram.reset();
      const status = p99 >= failMs ? 'fail' : p99 >= warnMs ? 'warn' : 'pass';
      return {
        status,
        measurement: 'delay',
        observedValue: p99,
        observedUnit: 'ms',
        ...(status !== 'pass' ? { output: `event loop delay p99 ${p99}ms (warn ${warnMs}ms, fail ${failMs}ms)` } : {}),
      };
    },
  };
}

export interface MemoryOptions {
  /** Fail when the V8 heap in use exceeds this many bytes. */
  readonly maxHeapUsedBytes?: number;
  /** Fail when the resident set exceeds this many bytes (compare with the container's memory limit). */
  readonly maxRssBytes?: number;
  /** Default false: over the threshold the report warns, readiness holds. */
  readonly critical?: boolean;
  readonly liveness?: boolean;
}

/** Heap and RSS against thresholds; reports RSS in MiB. */
export function memoryCheck(options: MemoryOptions): CheckDefinition {
  const { maxHeapUsedBytes, maxRssBytes } = options;
  if (maxHeapUsedBytes === undefined && maxRssBytes === undefined) {
    throw new TypeError('memoryCheck: give maxHeapUsedBytes, maxRssBytes or both');
  }
  for (const [key, value] of Object.entries({ maxHeapUsedBytes, maxRssBytes })) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new TypeError(`memoryCheck: ${key} must be > 0`);
  }
  const mib = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;
  return {
    critical: options.critical ?? false,
    liveness: options.liveness ?? false,
    componentType: 'system',
    run: (): CheckValue => {
      const { heapUsed, rss } = process.memoryUsage();
      const problems: string[] = [];
      if (maxHeapUsedBytes !== undefined && heapUsed > maxHeapUsedBytes) {
        problems.push(`heap used ${mib(heapUsed)} MiB > ${mib(maxHeapUsedBytes)} MiB`);
      }
      if (maxRssBytes !== undefined && rss > maxRssBytes)
        problems.push(`RSS ${mib(rss)} MiB > ${mib(maxRssBytes)} MiB`);
      return {
        status: problems.length > 0 ? 'fail' : 'pass',
        measurement: 'utilization',
        observedValue: mib(rss),
        observedUnit: 'MiB',
        ...(problems.length > 0 ? { output: problems.join('; ') } : {}),
      };
    },
  };
}
