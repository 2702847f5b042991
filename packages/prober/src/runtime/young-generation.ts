/**
 * V8's young generation held small for `lifeline run`, a process that lives for days (issue 14,
 * goal 2). V8 doubles each semi-space, up to 16 MiB, whenever a scavenge finds much of it alive,
 * which a monitor with many checks in flight does at once: the young generation then holds
 * 32 MiB (two semi-spaces), about a quarter of the RSS of a monitor of 1,000 checks, mostly
 * empty (bench/scale, docs/benchmarks.md). `--max-semi-space-size` would cap it, but V8 reads it
 * only when the heap is set up, before any of our code runs; the growth factor is read at each
 * growth. So this watches the young generation after each collection and lets it double (V8's
 * factor 2) only while it is under the cap, holding it (factor 1) from there: at most one
 * doubling past the cap when two scavenges come before the observer runs. V8 may still shrink
 * it when the process is idle; it grows back to the cap.
 *
 * A user who sets the semi-space on the node command line or in NODE_OPTIONS keeps their choice.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const MiB = 1024 * 1024;

/** Each of the two semi-spaces at most this large (MiB), unless the user says otherwise. */
export const MAX_SEMI_SPACE_MIB = 2;

export interface YoungGenerationDeps {
  /** The node command line and NODE_OPTIONS. */
  readonly options?: string;
  readonly set?: (flag: string) => void;
  /** Bytes of the young generation now (both semi-spaces). */
  readonly youngBytes?: () => number;
  /** Calls onCollection after each garbage collection; returns how to stop. */
  readonly observe?: (onCollection: () => void) => () => void;
}

function userOptions(): string {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
}

function youngBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

function observeCollections(onCollection: () => void): () => void {
  const observer = new PerformanceObserver(() => onCollection());
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

/**
 * Holds the young generation at `maxSemiSpaceMiB` per semi-space from now on; returns how to
 * stop watching (V8's default growth is then back).
 */
export function capYoungGeneration(maxSemiSpaceMiB = MAX_SEMI_SPACE_MIB, deps: YoungGenerationDeps = {}): () => void {
  if (/semi[-_]space/.test(deps.options ?? userOptions())) return () => {};
  const set = deps.set ?? setFlagsFromString;
  const size = deps.youngBytes ?? youngBytes;
  const cap = 2 * maxSemiSpaceMiB * MiB;
  let factor: number | undefined;
  const adjust = () => {
    const wanted = size() >= cap ? 1 : 2;
    if (wanted === factor) return;
    factor = wanted;
    set(`--semi-space-growth-factor=${wanted}`);
  };
  adjust();
  const stop = (deps.observe ?? observeCollections)(adjust);
  return () => {
    stop();
    if (factor !== 2) set('--semi-space-growth-factor=2');
  };
}
