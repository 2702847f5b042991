/**
 * V8's young generation held at its first size for `lifeline run`, a process that lives for
 * days (issue 14, goal 2). V8 doubles each semi-space, up to 16 MiB, whenever a scavenge finds
 * much of it alive, which a monitor with checks in flight does soon: the young generation then
 * holds 32 MiB (two semi-spaces), mostly empty, about a quarter of the RSS of a monitor of
 * 1,000 checks (bench/scale, docs/benchmarks.md: with it held, 1,000 checks ran in ~30 MiB less
 * for about the same CPU). `--max-semi-space-size` would cap it, but V8 reads that only when
 * the heap is set up, before any of our code runs; the growth factor it reads at each growth,
 * so a factor of 1 holds the young generation where it is: at its first 1 MiB per semi-space,
 * which src/cli/startup.ts holds while the modules load.
 *
 * It must be held before the monitor starts: V8 does not give a grown young generation back
 * while the process keeps allocating (a forced full collection does not shrink it either). A
 * large config (over LOAD_UNCAPPED_BYTES of YAML) still loads with V8's usual growth: held, the
 * load of 100,000 checks took 25 to 45% more CPU (scavenges of objects that all survive). Its
 * monitor keeps what the load grew, a small share of its memory.
 *
 * A user who sets the semi-space on the node command line or in NODE_OPTIONS keeps their choice.
 */
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

/** A config file larger than this loads before the young generation is held (about 5,000 checks of the usual shape). */
export const LOAD_UNCAPPED_BYTES = 1024 * 1024;

export interface YoungGenerationDeps {
  /** The config about to be loaded (synchronously, right after this call); its size decides when. */
  readonly config?: string;
  /** The node command line and NODE_OPTIONS. */
  readonly options?: string;
  readonly set?: (flag: string) => void;
}

function userOptions(): string {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
}

function fileBytes(path: string | undefined): number {
  try {
    return path === undefined ? 0 : statSync(path).size;
  } catch {
    return 0; // The loader says what is wrong with it.
  }
}

/**
 * Holds the young generation where it is, now, or for a large `deps.config` on the next turn
 * of the event loop (once the config is loaded); returns how to let it grow again.
 */
export function holdYoungGeneration(deps: YoungGenerationDeps = {}): () => void {
  if (/semi[-_]space/.test(deps.options ?? userOptions())) return () => {};
  const set = deps.set ?? setFlagsFromString;
  let held = false;
  const hold = () => {
    held = true;
    set('--semi-space-growth-factor=1');
  };
  const later = fileBytes(deps.config) > LOAD_UNCAPPED_BYTES ? setImmediate(hold) : undefined;
  if (!later) hold();
  return () => {
    if (later) clearImmediate(later);
    if (held) set('--semi-space-growth-factor=2');
    held = false;
  };
}
