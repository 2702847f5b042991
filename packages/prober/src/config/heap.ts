/**
 * Whether this process's V8 heap can hold a config, asked before the YAML is
 * parsed and again before the monitor starts. A heap that is too small used
 * to end in V8's "JavaScript heap out of memory" abort half-way through
 * loading, before the monitor listened, with nothing saying why (issue 14).
 *
 * The model is fitted to `npm run bench:heap` (docs/benchmarks.md, "heap per
 * check"): the smallest `--max-old-space-size` that loads, starts and runs
 * configs of 1,000 to 19,000 checks. A config is refused only when a lower
 * bound of its need does not fit, so one that would have loaded never is;
 * the checks said to fit come from an upper bound, so that many do. Near the
 * boundary V8 may still abort, never the other way round.
 */
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { HEAP_ERROR_CODE } from '../domain/errors.js';

export { HEAP_ERROR_CODE };

const MiB = 1024 * 1024;

/** This process's heap cannot load or run the config: exit 2 with the message and the code. */
export class HeapError extends Error {
  readonly code = HEAP_ERROR_CODE;
  constructor(message: string) {
    super(message);
    this.name = 'HeapError';
  }
}

/** What the YAML lexer counted before anything is built (see prescan). */
export interface YamlCounts {
  /** Size of the text, in UTF-8 bytes. */
  readonly bytes: number;
  /** Nodes the parser will build: scalars (plain and quoted), flow collections, anchors, aliases. */
  readonly nodes: number;
  /**
   * Keys `name:` (plain scalars): about the number of checks, a little more when
   * alert channels and maintenance windows are named too.
   */
  readonly names: number;
  /** Conditions: quoted scalars that start with `[`. Each is parsed, and costs more than another node. */
  readonly conditions: number;
}

/** What this process's old generation (the heap `--max-old-space-size` bounds) can still take. */
export interface HeapRoom {
  /** Bytes the old generation may grow to. */
  readonly limit: number;
  /** Bytes it holds now. */
  readonly used: number;
  /** Where the limit comes from, for people: the flag, or Node's own sizing. */
  readonly source: string;
}

/** What a command does with the config, past loading it: `run` keeps a monitor going, `once` runs every check at once. */
export type HeapUse = 'load' | 'run' | 'once';

/** Heap (bytes) as a fixed part and a part per unit (a YAML node, or a check). */
export interface Linear {
  readonly fixed: number;
  readonly per: number;
}
/**
 * Two bounds of each need: `low` decides (a config is refused only when even
 * that does not fit, so a config that would have loaded never is) and `high`
 * says how many checks fit (that many do). Between them V8 may still abort.
 */
export interface Bounds {
  readonly low: Linear;
  readonly high: Linear;
}

/**
 * Which parser reads the config: `fast` (fast-yaml.ts) for plain block YAML it
 * reads, `full` (the `yaml` package, with lines for errors) for anything else.
 */
export type LoadPath = 'fast' | 'full';

/** Heap (bytes) that loading takes: a fixed part, a part per YAML node and more per condition. */
export interface LoadLinear {
  readonly fixed: number;
  readonly perNode: number;
  readonly perCondition: number;
}

/**
 * Heap (bytes, over what the process used before reading the file) that
 * parsing, validating and resolving a config takes at its peak, by the path
 * that reads it. `full`: the `yaml` Document (a node, a source range and CST
 * tokens for every value), the plain objects made from it and the validated
 * and resolved config alive at once: about 2.2 MiB + 770 bytes per node and
 * 700 more per condition (measured before the fast path, 2026-11-26). `fast`:
 * plain block YAML read by fast-yaml.ts into plain values, no Document:
 * 2.4 MiB for 1,000 realistic checks (9,003 nodes), 14.4 MiB for 10,000
 * (90,003), 16.4 MiB for 19,000 minimal ones (114,003 nodes, no conditions),
 * i.e. 150 to 270 bytes a node with its share of the resolved config
 * (bench:heap, 2026-11-27; conditions are parsed once per distinct text).
 */
export const LOAD_MODEL: Readonly<Record<LoadPath, { readonly low: LoadLinear; readonly high: LoadLinear }>> = {
  full: {
    low: { fixed: 0, perNode: 700, perCondition: 650 },
    high: { fixed: 3 * MiB, perNode: 850, perCondition: 800 },
  },
  fast: {
    low: { fixed: 0, perNode: 110, perCondition: 0 },
    high: { fixed: 3 * MiB, perNode: 250, perCondition: 0 },
  },
};
/**
 * Heap (bytes, over what was used before reading the file) that the checks
 * take once loaded, per check. `run`: held by the monitor once every check ran
 * (bench:heap 2026-11-27: 7.1 MiB for 1,000 realistic checks, 28.6 MiB for
 * 10,000, 45.5 MiB for 19,000 minimal ones, about 2.5 KB a check; the
 * smallest heaps that ran them need 9.4, 32.4 and 49.4 MiB over it). `once`:
 * the peak of `check --once`, every check in flight together (measured 9.3 to
 * 10 KB against a port that refuses, 12 KB against a server that answers).
 */
export const USE_MODEL: Readonly<Record<Exclude<HeapUse, 'load'>, Bounds>> = {
  run: { low: { fixed: 4 * MiB, per: 2_000 }, high: { fixed: 10 * MiB, per: 4_000 } },
  once: { low: { fixed: 2 * MiB, per: 8_500 }, high: { fixed: 6 * MiB, per: 12_500 } },
};

const need = (model: Linear, units: number) => model.fixed + model.per * units;
/** How many units fit in `free` bytes by `model`. */
const fit = (model: Linear, free: number) => Math.max(0, Math.floor((free - model.fixed) / model.per));

const FLAG = /(?:^|\s)--max[-_]old[-_]space[-_]size(?:=|\s+)(\d+)(?=\s|$)/g;

/** The last `--max-old-space-size` given to this process (NODE_OPTIONS first, then the command line), in MiB. */
export function maxOldSpaceFlag(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  let found: number | undefined;
  for (const text of [nodeOptions ?? '', execArgv.join(' ')]) {
    for (const match of text.matchAll(FLAG)) found = Number(match[1]);
  }
  return found;
}

/**
 * The old generation's limit and use. With `--max-old-space-size` that flag
 * is the limit. Without it, `heap_size_limit` is taken whole, though it also
 * counts the young generation: that overstates the room a little, and a check
 * that errs must err towards loading.
 */
export function heapRoom(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): HeapRoom {
  const flag = maxOldSpaceFlag(execArgv, nodeOptions);
  let used = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) used += space.space_used_size;
  return flag !== undefined
    ? { limit: flag * MiB, used, source: `--max-old-space-size=${flag}` }
    : {
        limit: getHeapStatistics().heap_size_limit,
        used,
        source: "sized by Node from the machine's or the container's memory; set it with --max-old-space-size",
      };
}

const loadBytes = (model: LoadLinear, counts: YamlCounts) =>
  model.fixed + model.perNode * counts.nodes + model.perCondition * counts.conditions;

/** Heap (bytes) that loading a config of these counts by `path` takes at its peak, at least. */
export function loadNeed(counts: YamlCounts, path: LoadPath = 'full'): number {
  return loadBytes(LOAD_MODEL[path].low, counts);
}

/** Heap (bytes) that `use` takes for this many checks past loading them, at least; 0 for `load`. */
export function useNeed(checks: number, use: HeapUse): number {
  return use === 'load' ? 0 : need(USE_MODEL[use].low, checks);
}

/** How many checks `use` surely has room for in `free` bytes; Infinity for `load`. */
function useFit(free: number, use: HeapUse): number {
  return use === 'load' ? Number.POSITIVE_INFINITY : fit(USE_MODEL[use].high, free);
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
const count = (n: number) => Math.max(0, n).toLocaleString('en-US');
const DOING: Readonly<Record<HeapUse, string>> = {
  load: 'loading it',
  run: 'running them',
  once: 'running them all at once',
};

function sentence(what: string, doing: string, least: number, room: HeapRoom, fits: number): string {
  const free = Math.max(0, room.limit - room.used);
  const fit = fits > 0 ? `about ${count(fits)} checks fit` : 'not even one check surely fits';
  return `${what}; ${doing} needs at least ${mib(least)} of heap but this process has ${mib(free)} free (${room.source}): ${fit}. Raise the limit (the container's memory limit and --max-old-space-size) or split the checks over several configs`;
}

/**
 * Why this process cannot load a config of these counts, as one sentence
 * without the code; undefined when it may. Asked before the YAML document is
 * built; the checks that fit are counted for `use` too.
 */
export function loadHeapProblem(
  counts: YamlCounts,
  room: HeapRoom,
  use: HeapUse,
  path: LoadPath = 'full',
): string | undefined {
  const free = room.limit - room.used;
  const least = loadNeed(counts, path);
  // Only the load is decided here: `names` is approximate, the exact count is asked after resolution.
  if (least <= free) return undefined;
  // At this config's heap per check, by the upper bound.
  const checks = Math.max(1, counts.names);
  const high = LOAD_MODEL[path].high;
  const perCheck = (loadBytes(high, counts) - high.fixed) / checks;
  const fits = Math.min(Math.max(0, Math.floor((free - high.fixed) / perCheck)), useFit(free, use));
  return sentence(
    `the config has about ${count(counts.names)} checks (${mib(counts.bytes)})`,
    DOING.load,
    least,
    room,
    fits,
  );
}

/**
 * Why this process cannot `use` a config of this many checks, or undefined
 * when it may (always for `load`). Asked once the config is resolved, with
 * the room taken before it was read.
 */
export function checksHeapProblem(checks: number, room: HeapRoom, use: HeapUse): string | undefined {
  const free = room.limit - room.used;
  const least = useNeed(checks, use);
  if (use === 'load' || least <= free) return undefined;
  return sentence(`the config has ${count(checks)} checks`, DOING[use], least, room, useFit(free, use));
}
