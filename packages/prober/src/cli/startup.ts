/**
 * V8 tuned for a short process while a command loads its modules (issue 14, goal 1). V8's
 * defaults suit a process that lives long; `lifeline check --once` runs every minute in a
 * CronJob, loads ~1.5 MiB of code, sends a request per check and exits. Peak RSS of that run
 * (one http check; bench/startup, docs/benchmarks.md) went from 64.5 to 58.8 MiB with the first
 * three of these:
 *
 * - Young generation kept at its first size. V8 doubles the semi-space (up to 16 MiB) each
 *   time a scavenge finds most of it alive, which is what loading modules looks like (their
 *   code and objects live on): alone, holding it cuts 5.3 MiB. The growth factor set to 1
 *   does it (V8 refuses a factor below 2 on the command line, not at run time), and it stays
 *   for a short command: 2,000 checks at once peak at 110 MiB instead of 130 for the same
 *   CPU. `run` gets the default back here, and src/runtime/young-generation.ts decides when to
 *   hold it again (at once, or after loading a large config).
 * - No optimizing or baseline compiler while loading, -2.1 MiB: resolving ~120 modules makes
 *   a few of Node's path functions hot, and optimizing them brings TurboFan's code and zones
 *   into the process for work that is over a moment later.
 * - Memory over speed (`--optimize-for-size`) while loading, -1.1 MiB for ~25 ms of CPU: one
 *   mark-compact drops the loader's garbage instead of keeping it to the exit. It holds the
 *   young generation too, so with it the growth factor adds only 0.4 MiB to one check.
 *
 * - WebAssembly compiled by the baseline compiler only (`--liftoff-only`), for `check` alone,
 *   which bin/lifeline.js knows is short-lived before anything loads: undici parses HTTP with
 *   llhttp compiled to WebAssembly, and V8's optimizing tier would recompile its one huge
 *   parser function in the background, ~35 MiB of peak RSS and 0.15 s of CPU that a process
 *   sending a request per check and exiting never gets back. Set here rather than before the
 *   first request because V8 keys its code cache (src/cli/compiled.ts) on the flags: the cache
 *   is used under the flags it was made with, and this one cannot be undone exactly.
 *
 * The compilers and GC pacing end once the modules are loaded, before the command's own work:
 * a config of 10,000 checks still parses with every compiler and V8's usual GC pacing
 * (validating 5,000 checks with `--optimize-for-size` kept on took ~20% more CPU).
 * A user who sets any of these on the node command line or in NODE_OPTIONS (or `--jitless`,
 * where turning a compiler on would be wrong) keeps their choice: that family is left alone.
 */
import { setFlagsFromString } from 'node:v8';

interface Tuning {
  /** The user's own flags for the same thing: then this tuning is skipped. */
  readonly userSets: RegExp;
  readonly begin: readonly string[];
  /** V8's defaults again. */
  readonly end: readonly string[];
  /** Undone for every command, or only for a long-lived one (`run`). */
  readonly until: 'loaded' | 'long-lived';
}

const TUNINGS: readonly Tuning[] = [
  {
    userSets: /semi[-_]space/,
    begin: ['--semi-space-growth-factor=1'],
    end: ['--semi-space-growth-factor=2'],
    until: 'long-lived',
  },
  {
    userSets: /--(no[-_])?(opt|turbofan|maglev|sparkplug)\b|--max[-_]opt|--jitless/,
    begin: ['--no-turbofan', '--no-sparkplug'],
    end: ['--turbofan', '--sparkplug'],
    until: 'loaded',
  },
  {
    userSets: /optimize[-_]for[-_]size/,
    begin: ['--optimize-for-size'],
    end: ['--no-optimize-for-size'],
    until: 'loaded',
  },
];

/** Only for a command known to be short-lived (`check`): never undone. */
const SHORT_LIVED: Tuning = {
  userSets: /--(no[-_])?liftoff|--jitless|--(no[-_])?wasm[-_]tier[-_]up/,
  begin: ['--liftoff-only'],
  end: [],
  until: 'long-lived',
};

/** What beginStartup changed, to undo once the command's modules are loaded. */
export interface Startup {
  /**
   * The command's modules are loaded: V8's defaults back for its own work, all but the small
   * young generation for a short-lived command. Undoes only what beginStartup did.
   */
  end(life: 'short' | 'long'): void;
  /**
   * The flags of beginStartup set again: the build saves V8's code cache under them, since V8
   * uses a cache only under the flags it was made with (src/cli/compiled.ts).
   */
  again(): void;
}

/** For callers that never began a startup (tests calling main in-process): nothing to undo. */
export const NO_STARTUP: Startup = { end() {}, again() {} };

/** The node command line and NODE_OPTIONS: what the user asked of V8. */
function userOptions(): string {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
}

/**
 * First thing in bin/lifeline.js, before the command's modules load. `lifetime` 'short': the
 * command is known to exit once its work is done (`check`).
 */
export function beginStartup(
  options: string = userOptions(),
  set = setFlagsFromString,
  lifetime: 'short' | 'unknown' = 'unknown',
): Startup {
  const begun = [...TUNINGS, ...(lifetime === 'short' ? [SHORT_LIVED] : [])].filter(
    (tuning) => !tuning.userSets.test(options),
  );
  for (const tuning of begun) for (const flag of tuning.begin) set(flag);
  let applied = begun;
  return {
    again() {
      for (const tuning of begun) for (const flag of tuning.begin) set(flag);
    },
    end(life) {
      const done = applied.filter((tuning) => tuning.until === 'loaded' || life === 'long');
      for (const tuning of done) for (const flag of tuning.end) set(flag);
      applied = applied.filter((tuning) => !done.includes(tuning));
    },
  };
}
